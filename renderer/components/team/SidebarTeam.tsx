/**
 * Team pieces of the sidebar: each team workspace's role and sync state (synced, syncing n,
 * offline, error with its reason, paused), verification warnings naming the workspace, open
 * invitations with Accept; and the events from main that keep them current.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { AlertTriangle, Check, CloudOff, Loader, Mail, Pause, RefreshCw, UserX } from 'lucide-react';
import type { SyncStatus, Workspace } from '../../../common/api/contract.ts';
import { countOf } from '../../../common/wording.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { useLibrary } from '../../state/library.ts';
import { useSession } from '../../state/session.ts';
import { useUi } from '../../state/ui.ts';
import { roleLabels } from '../../../common/roles.ts';
import { statusText, useTeam } from '../../state/team.ts';
import { formatExact } from '../format.ts';
import { Modal } from '../Modal.tsx';
import { DialogActions, Field, FormError, useSubmit } from '../Field.tsx';
import { isRemoved, removalText } from './WorkspaceBanners.tsx';

/** How often open invitations are checked while the app is unlocked and has a relay account. */
const INVITATION_POLL_MS = 10_000;

/** Follows main's team events while unlocked: sync status, warnings, roles and workspaces changed by others. */
export function useTeamEvents(): void {
  useEffect(() => {
    const team = useTeam.getState();
    void team.load();
    let reload: ReturnType<typeof setTimeout> | null = null;
    const offs = [
      hearth().on('syncStatus', (status) => useTeam.getState().statusChanged(status)),
      hearth().on('presence', ({ documentId, entries }) => useTeam.getState().presenceChanged(documentId, entries)),
      hearth().on('syncWarning', (warning) => {
        useTeam.getState().warned(warning);
        useUi.getState().notify(`Sync warning — ${warning.message}`);
      }),
      hearth().on('workspacesChanged', () => {
        // A burst (an index change per document) becomes one reload.
        if (reload) clearTimeout(reload);
        reload = setTimeout(() => {
          // The open workspace's list too: a document a peer deleted has no summary to carry, only this event.
          void useLibrary.getState().reloadAfterChange();
          void useTeam.getState().load();
        }, 150);
      }),
    ];
    const poll = setInterval(() => {
      if (useTeam.getState().relays.length > 0) void useTeam.getState().loadInvitations();
    }, INVITATION_POLL_MS);
    return () => {
      offs.forEach((off) => off());
      clearInterval(poll);
      if (reload) clearTimeout(reload);
      useTeam.getState().reset();
    };
  }, []);
}

function StatusIcon({ status }: { status: SyncStatus | undefined }) {
  switch (status?.state) {
    case 'synced':
      return <Check aria-hidden size={12} />;
    case 'syncing':
      return <Loader aria-hidden size={12} />;
    case 'paused':
      return <Pause aria-hidden size={12} />;
    case 'error':
      return <AlertTriangle aria-hidden size={12} />;
    default:
      return <CloudOff aria-hidden size={12} />;
  }
}

/** The line under a team workspace's name: role · sync state (with the reason when it failed). */
export function TeamStatusLine({ workspace }: { workspace: Workspace }) {
  const status = useTeam((s) => s.statuses[workspace.id]);
  // Once removed, sync has nothing more to say: "Removed" says it all (the banner says the rest).
  if (isRemoved(workspace)) {
    return (
      <span className="workspace-sub sync-removed" title={`${removalText(workspace)}. Your copy stays on this device, read-only.`} data-sync-state="removed">
        <UserX aria-hidden size={12} />
        <span className="truncate">Removed</span>
      </span>
    );
  }
  const text = statusText(status);
  const reason = status?.reason?.message;
  const detail = [
    text,
    reason,
    status?.lastSyncedAt ? `last synced ${formatExact(status.lastSyncedAt)}` : null,
    status?.quarantined ? `${countOf(status.quarantined, 'change')} kept aside` : null,
  ]
    .filter(Boolean)
    .join(' — ');
  return (
    <span className={`workspace-sub sync-${status?.state ?? 'offline'}`} title={detail} data-sync-state={status?.state ?? 'none'}>
      {workspace.role ? <span>{roleLabels[workspace.role]}</span> : null}
      <span className="visually-hidden">, </span>
      <StatusIcon status={status} />
      <span className="truncate">
        {text}
        {status?.state === 'error' && reason ? `: ${reason}` : ''}
        {status?.state === 'offline' && reason ? ' (retrying)' : ''}
      </span>
    </span>
  );
}

/** A button beside a workspace with verification warnings; opens them. */
export function WarningsButton({ workspace }: { workspace: Workspace }) {
  // Select the array itself (a filtered copy would be a new value on every read and loop React).
  const all = useTeam((s) => s.warnings);
  const warnings = all.filter((w) => w.workspaceId === workspace.id);
  const dismiss = useTeam((s) => s.dismissWarnings);
  const [open, setOpen] = useState(false);
  if (warnings.length === 0) return null;
  return (
    <>
      <button
        type="button"
        className="icon-button warning-button"
        aria-label={`${warnings.length} sync warning${warnings.length === 1 ? '' : 's'} in ${workspace.name}`}
        onClick={() => setOpen(true)}
      >
        <AlertTriangle aria-hidden size={16} />
      </button>
      {open ? (
        <Modal
          title={`Sync warnings in ${workspace.name}`}
          description="These changes came from the relay but failed verification (forged, replayed, tampered, or from someone whose role did not allow them). They were not applied and are kept aside."
          onClose={() => setOpen(false)}
          wide
        >
          <ul className="warnings">
            {warnings.map((w, i) => (
              <li key={`${w.at}-${i}`} className="warning">
                <time dateTime={new Date(w.at).toISOString()}>{formatExact(w.at)}</time>
                <span>{w.message}</span>
              </li>
            ))}
          </ul>
          <div className="modal-actions">
            <button
              type="button"
              className="button"
              onClick={() => {
                dismiss(workspace.id);
                setOpen(false);
              }}
            >
              Dismiss
            </button>
          </div>
        </Modal>
      ) : null}
    </>
  );
}

/** Open invitations to team workspaces, each with Accept. */
export function InvitationsSection() {
  const invitations = useTeam((s) => s.invitations);
  const problem = useTeam((s) => s.invitationsProblem);
  const relays = useTeam((s) => s.relays);
  const loadInvitations = useTeam((s) => s.loadInvitations);
  const username = useSession((s) => s.profile?.username);
  const [accepting, setAccepting] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [joining, setJoining] = useState(false);
  if (relays.length === 0) {
    return (
      <section className="invitations" aria-label="Teams">
        <button type="button" className="button button-quiet join-relay" onClick={() => setJoining(true)}>
          <Mail aria-hidden size={14} /> Join a relay to be invited…
        </button>
        {joining ? <JoinRelayDialog onClose={() => setJoining(false)} /> : null}
      </section>
    );
  }
  const accept = async (id: string) => {
    setAccepting(id);
    setFailure(null);
    try {
      const workspace = await call(hearth().acceptInvitation(id));
      const library = useLibrary.getState();
      await library.loadWorkspaces();
      await library.selectWorkspace(workspace.id);
      await useTeam.getState().load();
    } catch (error) {
      setFailure(messageOf(error));
    } finally {
      setAccepting(null);
    }
  };
  return (
    <section className="invitations" aria-labelledby="invitations-heading">
      <div className="sidebar-section-header">
        <h2 id="invitations-heading">Invitations{invitations.length > 0 ? ` (${invitations.length})` : ''}</h2>
        <button type="button" className="icon-button" aria-label="Check for invitations" onClick={() => void loadInvitations()}>
          <RefreshCw aria-hidden size={14} />
        </button>
      </div>
      {username ? (
        <p className="sidebar-note sidebar-identity">
          People on {relays.map(relayHost).join(', ')} can invite you as <strong>@{username}</strong>.
        </p>
      ) : null}
      {problem ? <p className="form-error sidebar-note">{problem}</p> : null}
      {failure ? (
        <p role="alert" className="form-error sidebar-note">
          {failure}
        </p>
      ) : null}
      {invitations.length === 0 ? <p className="muted sidebar-note">No open invitations.</p> : null}
      <ul className="invitation-list">
        {invitations.map((invitation) => (
          <li key={invitation.id} className="invitation">
            <Mail aria-hidden size={16} />
            <span className="invitation-text">
              <strong>{invitation.kind === 'document' ? (invitation.documentTitle ?? invitation.name) : invitation.name}</strong>
              <span className="muted">
                {invitation.kind === 'personal' ? (
                  'Personal · synced from your other device'
                ) : (
                  <>
                    {invitation.kind === 'document' ? 'Document' : 'Workspace'} · {roleLabels[invitation.role]}
                    {invitation.invitedBy ? ` · from ${invitation.invitedBy}` : ''}
                  </>
                )}
              </span>
            </span>
            <button
              type="button"
              className="button button-primary button-small"
              disabled={accepting !== null}
              onClick={() => void accept(invitation.id)}
              aria-label={invitation.kind === 'personal' ? `Add ${invitation.name} to this device` : `Accept invitation to ${invitation.name}`}
            >
              {accepting === invitation.id ? 'Joining…' : invitation.kind === 'personal' ? 'Add' : 'Accept'}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A relay's address as people say it: its host and port, without the scheme. */
function relayHost(url: string): string {
  return url.replace(/^wss?:\/\//, '').replace(/\/$/, '');
}

/** Registers this vault on a relay so others can find it by username and invite it. */
function JoinRelayDialog({ onClose }: { onClose: () => void }) {
  const [relay, setRelay] = useState('');
  const { busy, problem, run } = useSubmit();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      await call(hearth().registerAccount(relay.trim()));
      await useTeam.getState().load();
      onClose();
    });
  };
  return (
    <Modal
      title="Join a relay"
      description="Your username, display name and avatar are published on the relay, so that people there can invite you to their team workspaces. Nothing else leaves this device until you accept an invitation."
      onClose={onClose}
    >
      <form className="form" onSubmit={(e) => void submit(e)}>
        <Field label="Relay address">
          <input
            value={relay}
            onChange={(e) => setRelay(e.target.value)}
            placeholder="wss://relay.example.org"
            maxLength={2048}
            spellCheck={false}
            data-autofocus
            required
          />
        </Field>
        <FormError problem={problem} />
        <DialogActions onCancel={onClose} actionLabel="Join relay" busyLabel="Joining…" busy={busy} />
      </form>
    </Modal>
  );
}
