/**
 * The members of a team workspace: who they are and their roles; and, for Owners and Admins,
 * invite by username with a role, change a role, remove (the key rotates in the same step),
 * and for the Owner, hand ownership on. Only what the user's role allows is shown.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Role, TeamMember, Workspace } from '../../../common/api/contract.ts';
import { assignableRoles, canSetRole, roleLabels, roleSummaries, roleWithArticle } from '../../../common/roles.ts';
import { isUsername, USERNAME_RULE } from '../../../common/username.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { useLibrary } from '../../state/library.ts';
import { permissionsOf } from '../../state/team.ts';
import { ConfirmDialog } from '../ConfirmDialog.tsx';
import { FormError } from '../Field.tsx';
import { ItemMenu } from '../ItemMenu.tsx';
import { Modal } from '../Modal.tsx';
import { MemberIdentity, nameOf, UsernameRoleRow } from './people.tsx';

type Confirming = { kind: 'remove' | 'transfer'; member: TeamMember } | null;

export function MembersDialog({ workspace: opened, onClose }: { workspace: Workspace; onClose: () => void }) {
  // The workspace as it is now: making someone else the Owner changes my own role while this is open.
  const workspace = useLibrary((s) => s.workspaces?.find((w) => w.id === opened.id)) ?? opened;
  const permissions = permissionsOf(workspace);
  const [members, setMembers] = useState<TeamMember[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Confirming>(null);

  const load = useCallback(async () => {
    try {
      setMembers(await call(hearth().listMembers(workspace.id)));
      setProblem(null);
    } catch (error) {
      setProblem(messageOf(error));
    }
  }, [workspace.id]);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (run: () => Promise<TeamMember[]>) => {
    setProblem(null);
    try {
      setMembers(await run());
    } catch (error) {
      setProblem(messageOf(error));
    }
    // My own role may have changed (a transfer makes me an Admin).
    await useLibrary.getState().loadWorkspaces();
  };

  const sorted = [...(members ?? [])].sort((a, b) => Number(b.isMe) - Number(a.isMe) || nameOf(a).localeCompare(nameOf(b)));

  return (
    <Modal
      title={`Members of ${workspace.name}`}
      description={permissions.role ? `You are ${roleWithArticle(permissions.role)} here: ${roleSummaries[permissions.role]}.` : undefined}
      onClose={onClose}
      wide
    >
      <FormError problem={problem} />
      {members === null && !problem ? <p className="muted">Loading members…</p> : null}
      <ul className="members" aria-label="Members">
        {sorted.map((member) => {
          const mayChange =
            permissions.role !== null && !member.isMe && canSetRole(permissions.role, member.role, member.role === 'owner' ? 'admin' : 'viewer');
          const roles = assignableRoles(permissions.role).filter((r) => r !== 'owner' || member.role === 'owner');
          const actions = [
            ...(mayChange && canSetRole(permissions.role!, member.role, undefined)
              ? [{ label: 'Remove from workspace…', danger: true, onSelect: () => setConfirming({ kind: 'remove', member }) }]
              : []),
            ...(permissions.owner && !member.isMe && member.username
              ? [{ label: 'Make Owner…', onSelect: () => setConfirming({ kind: 'transfer', member }) }]
              : []),
          ];
          return (
            <li key={member.account} className="member">
              <MemberIdentity member={member} />
              {mayChange && member.username && member.role !== 'owner' ? (
                <select
                  className="role-select"
                  aria-label={`Role of ${nameOf(member)}`}
                  value={member.role}
                  onChange={(e) => void act(() => call(hearth().setMemberRole(workspace.id, member.username!, e.target.value as Role)))}
                >
                  {roles.map((role) => (
                    <option key={role} value={role}>
                      {roleLabels[role]}
                    </option>
                  ))}
                </select>
              ) : (
                <span className={`role-chip role-${member.role}`}>{roleLabels[member.role]}</span>
              )}
              {actions.length > 0 ? <ItemMenu label={`Actions for ${nameOf(member)}`} actions={actions} /> : <span className="member-menu-space" />}
            </li>
          );
        })}
      </ul>
      {permissions.manage ? <InviteForm workspace={workspace} onInvited={() => void load()} /> : null}
      {confirming?.kind === 'remove' ? (
        <ConfirmDialog
          title={`Remove ${nameOf(confirming.member)}?`}
          description={`${nameOf(confirming.member)} loses access to ${workspace.name}. A new key is made for the remaining members at once, so nothing written from now on can be read with the keys they had. What they already have on their device stays readable to them.`}
          confirmLabel="Remove member"
          onConfirm={() => act(() => call(hearth().removeMember(workspace.id, confirming.member.username!)))}
          onClose={() => setConfirming(null)}
        />
      ) : null}
      {confirming?.kind === 'transfer' ? (
        <ConfirmDialog
          title={`Make ${nameOf(confirming.member)} the Owner?`}
          description={`${nameOf(confirming.member)} becomes the Owner of ${workspace.name}; you stay on as an Admin and can no longer delete the workspace or act on Owners.`}
          confirmLabel="Make Owner"
          onConfirm={() => act(() => call(hearth().transferOwnership(workspace.id, confirming.member.username!)))}
          onClose={() => setConfirming(null)}
        />
      ) : null}
    </Modal>
  );
}

function InviteForm({ workspace, onInvited }: { workspace: Workspace; onInvited: () => void }) {
  const permissions = permissionsOf(workspace);
  const roles = assignableRoles(permissions.role);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const name = username.trim().replace(/^@/, '');
    if (!name) return setProblem('Type the username of the person to invite.');
    if (!isUsername(name)) return setProblem(`${name} is not a username. ${USERNAME_RULE}`);
    setBusy(true);
    setProblem(null);
    setDone(null);
    try {
      const member = await call(hearth().inviteMember(workspace.id, name, role));
      setDone(`Invited ${member.displayName ?? name} as ${roleLabels[member.role]}. They accept the invitation in their Hearth.`);
      setUsername('');
      onInvited();
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="invite-form" onSubmit={(e) => void submit(e)} aria-label="Invite someone">
      <h3>Invite someone</h3>
      <UsernameRoleRow
        username={username}
        onUsername={setUsername}
        role={role}
        onRole={setRole}
        roles={roles}
        busy={busy}
        actionLabel="Invite"
        busyLabel="Inviting…"
      />
      <p className="field-hint">
        {roleLabels[role]}: {roleSummaries[role]}.
      </p>
      <FormError problem={problem} />
      {done ? (
        <p className="form-ok" role="status">
          {done}
        </p>
      ) : null}
    </form>
  );
}
