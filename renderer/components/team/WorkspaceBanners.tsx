/**
 * What a team workspace's state means for the person, said where they work: removed from it (by
 * whom, when; the copy stays here, read-only, with a way to erase it), its relay refusing this
 * device (revoked from the account), or its sync paused.
 */
import { useState } from 'react';
import { Ban, Pause, UserX } from 'lucide-react';
import type { Workspace } from '../../../common/api/contract.ts';
import { call, hearth } from '../../state/api.ts';
import { useLibrary } from '../../state/library.ts';
import { useTeam } from '../../state/team.ts';
import { ConfirmDialog } from '../ConfirmDialog.tsx';
import { formatExact } from '../format.ts';
import { relayHost } from '../settings/PendingRevocations.tsx';

/** Whether I was removed from this team workspace (it has a relay, and my role is gone). */
export function isRemoved(workspace: Workspace | undefined): boolean {
  return workspace?.kind === 'team' && !!workspace.relay && !workspace.role;
}

/** Who removed me and when, in a few words: "Ada removed you on 3 May 2026, 10:04". */
export function removalText(workspace: Workspace): string {
  const removal = workspace.removal;
  if (!removal) return `You are no longer a member of ${workspace.name}`;
  return `${removal.by}${removal.byUsername && removal.byUsername !== removal.by ? ` (@${removal.byUsername})` : ''} removed you from ${workspace.name} on ${formatExact(removal.at)}`;
}

/** Asks, then erases the read-only copy of a workspace I was removed from. */
export function RemoveCopyDialog({ workspace, onClose }: { workspace: Workspace; onClose: () => void }) {
  return (
    <ConfirmDialog
      title={`Remove “${workspace.name}” from this device?`}
      description="Its documents, comments and files are erased from this device for good. The other members keep theirs. This cannot be undone."
      confirmLabel="Remove from this device"
      onConfirm={async () => {
        await call(hearth().leaveWorkspace(workspace.id));
        await useLibrary.getState().loadWorkspaces();
      }}
      onClose={onClose}
    />
  );
}

/** Across the workspace, for a member who was removed from it. */
export function RemovedBanner({ workspace }: { workspace: Workspace }) {
  const [removing, setRemoving] = useState(false);
  return (
    <div className="workspace-banner banner-removed" role="status">
      <UserX aria-hidden size={18} />
      <p>
        <strong>{removalText(workspace)}.</strong> Your copy stays on this device, read-only: nothing you change here reaches anyone, and nothing new arrives.
      </p>
      <button type="button" className="button button-small" onClick={() => setRemoving(true)}>
        Remove it from this device…
      </button>
      {removing ? <RemoveCopyDialog workspace={workspace} onClose={() => setRemoving(false)} /> : null}
    </div>
  );
}

/** Above a document whose workspace's sync is paused. */
export function PausedBanner({ workspace }: { workspace: Workspace }) {
  const paused = useTeam((s) => s.statuses[workspace.id]?.state === 'paused');
  const setPaused = useTeam((s) => s.setPaused);
  const [busy, setBusy] = useState(false);
  if (!paused) return null;
  const resume = async () => {
    setBusy(true);
    await setPaused(workspace, false);
    setBusy(false);
  };
  return (
    <div className="workspace-banner banner-paused" role="status">
      <Pause aria-hidden size={16} />
      <p>
        <strong>Sync of {workspace.name} is paused.</strong> What you write is kept on this device and goes out when you resume; others’ changes wait too.
      </p>
      <button type="button" className="button button-small" disabled={busy} onClick={() => void resume()}>
        Resume sync
      </button>
    </div>
  );
}

/** A relay that refuses this device's sign-in (it was revoked from the account, or the account is gone there) and why, or undefined. */
export function useRefusal(): { relay: string; reason: string } | undefined {
  const refused = useTeam((s) => Object.values(s.statuses).find((status) => status.state === 'error' && status.reason?.code === 'UNAUTHENTICATED'));
  return refused?.reason ? { relay: refused.relay, reason: refused.reason.message } : undefined;
}

/** Across the workspace, whichever is open, when a relay refuses this device's sign-in: what stays, and why. */
export function RefusedBanner({ relay, reason }: { relay: string; reason: string }) {
  return (
    <div className="workspace-banner banner-removed" role="alert">
      <Ban aria-hidden size={18} />
      <p>
        <strong>The relay {relayHost(relay)} refuses this device.</strong> {reason} The team workspaces there stay readable on this device; nothing you change
        reaches anyone, and nothing new arrives.
      </p>
    </div>
  );
}
