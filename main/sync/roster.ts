/**
 * A team workspace's member list as this device knows it, without the network: the verified
 * membership log in the vault's sync state gives accounts and roles, the workspace's index gives
 * their published names. Export uses it (members.json), so it works offline and while paused.
 */
import type { Role } from '../../common/roles.ts';
import type { Vault } from '../vault/vault.ts';
import { MembershipView } from './membership-view.ts';
import { loadIndex } from './workspace-index.ts';

export interface RosterEntry {
  username: string;
  displayName: string;
  role: Role;
}

/** Role order for a stable listing: Owners first, then by username. */
const RANK: Record<Role, number> = { owner: 0, admin: 1, editor: 2, commenter: 3, viewer: 4 };

/** The roster of a synced team workspace, or undefined when this vault holds no sync state for it. */
export function rosterOf(vault: Vault, workspaceId: string): RosterEntry[] | undefined {
  const space = vault.syncState.space(workspaceId);
  if (!space || space.membership.length === 0) return undefined;
  const view = MembershipView.replay(workspaceId, space.membership);
  const directory = loadIndex(space.index).members ?? {};
  return [...view.current.members]
    .map(([account, role]) => {
      const entry = directory[account];
      // A member whose profile has not reached this device yet is listed by account id, not left out.
      return { username: entry?.username ?? account, displayName: entry?.displayName ?? account, role };
    })
    .sort((a, b) => RANK[a.role] - RANK[b.role] || a.username.localeCompare(b.username));
}
