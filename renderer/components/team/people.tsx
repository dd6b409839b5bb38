/** What the members list and the share dialog both show of people: a name, an identity, a username + role row. */
import type { Role, TeamMember } from '../../../common/api/contract.ts';
import { roleLabels } from '../../../common/roles.ts';
import { Avatar } from '../Avatar.tsx';
import { Field } from '../Field.tsx';

/** The name shown for a member: display name, else username, else the start of the account id. */
export const nameOf = (m: TeamMember) => m.displayName ?? m.username ?? `${m.account.slice(0, 8)}…`;

/** A member's avatar, name (with "(you)") and @username, as the start of a `.member` row. */
export function MemberIdentity({ member }: { member: TeamMember }) {
  return (
    <>
      <Avatar name={nameOf(member)} src={member.avatar} />
      <span className="member-name">
        <strong className="truncate">
          {nameOf(member)}
          {member.isMe ? ' (you)' : ''}
        </strong>
        {member.username ? <span className="muted truncate">@{member.username}</span> : null}
      </span>
    </>
  );
}

/** Username and role fields with the submit button, in one `.invite-row`. */
export function UsernameRoleRow({
  username,
  onUsername,
  role,
  onRole,
  roles,
  busy,
  actionLabel,
  busyLabel,
}: {
  username: string;
  onUsername: (username: string) => void;
  role: Role;
  onRole: (role: Role) => void;
  roles: Role[];
  busy: boolean;
  actionLabel: string;
  busyLabel: string;
}) {
  return (
    <div className="invite-row">
      <Field label="Username">
        <input value={username} onChange={(e) => onUsername(e.target.value)} maxLength={33} spellCheck={false} autoCapitalize="off" data-autofocus />
      </Field>
      <Field label="Role">
        <select value={role} onChange={(e) => onRole(e.target.value as Role)}>
          {roles.map((r) => (
            <option key={r} value={r}>
              {roleLabels[r]}
            </option>
          ))}
        </select>
      </Field>
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? busyLabel : actionLabel}
      </button>
    </div>
  );
}
