/**
 * What this vault's account may do, as of the membership logs it verified: its role in each team
 * workspace, its role for a document shared with it alone, and the one decision an operation
 * needs ("may I write here?"), made once and carrying the refusal in words the user can act on.
 * The rules themselves are common/roles.ts; the relay and every peer check them again.
 */
import { HearthError } from '../../common/errors.ts';
import { canComment, canDeleteContent, canSetRole, canWriteContent, roleWithArticle, withArticle, type Role } from '../../common/roles.ts';
import type { Vault } from '../vault/vault.ts';
import type { SpaceRegistry } from './spaces.ts';

/** What a local edit does: content (create or edit documents, upload files), a comment, or a deletion. */
export type EditKind = 'content' | 'comment' | 'delete';

/** The outcome of one permission check: the role it was decided on, or the refusal to throw. */
export type Decision = { allowed: true; role: Role | undefined } | { allowed: false; role: Role | undefined; refusal: HearthError };

export interface AccountPermissionsHost {
  readonly vault: Pick<Vault, 'workspaces' | 'documents'>;
  readonly account: string;
  readonly spaces: Pick<SpaceRegistry, 'state' | 'view' | 'isTeam' | 'receivedShareOf'>;
}

/** Whether `role` may make `kind` edits. */
export function allows(role: Role, kind: EditKind): boolean {
  return kind === 'content' ? canWriteContent(role) : kind === 'comment' ? canComment(role) : canDeleteContent(role);
}

export class AccountPermissions {
  constructor(private readonly host: AccountPermissionsHost) {}

  /** This account's role in a space as last verified; undefined when it is not (or no longer) a member. */
  role(spaceId: string): Role | undefined {
    return this.host.spaces.view(spaceId).role(this.host.account);
  }

  /** This vault's role in a team workspace as of the last verified membership log; undefined if not a member. */
  roleIn(workspaceIdOrName: string): Role | undefined {
    const { workspace } = this.host.vault.workspaces.find(workspaceIdOrName);
    if (!this.host.spaces.isTeam(workspace.id)) return undefined;
    return this.role(workspace.id);
  }

  /**
   * This vault's role for one document: its team workspace's role, or for a document shared with
   * this vault the role it was shared with; undefined for a personal document (no restriction)
   * or when the membership ended.
   */
  documentRole(documentId: string): Role | undefined {
    const holder = this.host.vault.documents.workspaceOf(documentId);
    if (this.host.spaces.isTeam(holder)) return this.role(holder);
    const space = this.host.spaces.receivedShareOf(documentId);
    return space ? this.role(space) : undefined;
  }

  /**
   * Whether this vault may make `kind` edits in the workspace (or, with `documentId`, to that
   * document: a document shared with this vault follows the role it was shared with).
   */
  decide(workspaceIdOrName: string, kind: EditKind, documentId?: string): Decision {
    const { workspace } = this.host.vault.workspaces.find(workspaceIdOrName);
    if (this.host.spaces.isTeam(workspace.id)) {
      const role = this.role(workspace.id);
      if (!role)
        return {
          allowed: false,
          role,
          refusal: new HearthError('FORBIDDEN', `You are not a member of ${workspace.name} any more; its documents are read-only here.`),
        };
      if (allows(role, kind)) return { allowed: true, role };
      const verb = kind === 'content' ? 'create or edit documents' : kind === 'comment' ? 'comment' : 'delete documents or files';
      return {
        allowed: false,
        role,
        refusal: new HearthError(
          'FORBIDDEN',
          `You are ${roleWithArticle(role)} in ${workspace.name}: ${withArticle(role)} cannot ${verb}. Ask an Owner or Admin for another role.`,
        ),
      };
    }
    const space = documentId === undefined ? undefined : this.host.spaces.receivedShareOf(documentId);
    if (!space) return { allowed: true, role: undefined };
    const role = this.role(space);
    const title = this.host.vault.documents.summary(documentId!).title || 'Untitled';
    if (!role) return { allowed: false, role, refusal: new HearthError('FORBIDDEN', `"${title}" is no longer shared with you; the copy here is read-only.`) };
    if (allows(role, kind)) return { allowed: true, role };
    const verb = kind === 'content' ? 'edit it' : kind === 'comment' ? 'comment on it' : 'delete it';
    return {
      allowed: false,
      role,
      refusal: new HearthError(
        'FORBIDDEN',
        `"${title}" was shared with you as ${roleWithArticle(role)}: ${withArticle(role)} cannot ${verb}. Ask the person who shared it for another role.`,
      ),
    };
  }

  /** Throws the refusal when `decide` refuses; returns the role it decided on. */
  assertCan(workspaceIdOrName: string, kind: EditKind, documentId?: string): Role | undefined {
    const decision = this.decide(workspaceIdOrName, kind, documentId);
    if (!decision.allowed) throw decision.refusal;
    return decision.role;
  }

  /** Throws FORBIDDEN naming this vault's role unless it is an Owner of the workspace. */
  assertOwner(workspace: { id: string; name: string }, what: string): void {
    const mine = this.role(workspace.id);
    if (mine === 'owner') return;
    throw new HearthError(
      'FORBIDDEN',
      mine ? `You are ${roleWithArticle(mine)} in ${workspace.name}; only an Owner can ${what}.` : `You are no longer a member of ${workspace.name}.`,
    );
  }

  /** Throws FORBIDDEN unless this vault may move a member from `from` to `to` (undefined: not a member); returns its role. */
  assertManager(spaceId: string, from: Role | undefined, to: Role | undefined): Role {
    const mine = this.role(spaceId);
    if (!mine) throw new HearthError('FORBIDDEN', 'You are no longer a member of this workspace.');
    if (!canSetRole(mine, from, to)) {
      throw new HearthError(
        'FORBIDDEN',
        `As ${roleWithArticle(mine)} you cannot ${to === undefined ? `remove ${withArticle(from!)}` : from === undefined ? `add someone as ${to}` : `change ${withArticle(from)} to ${to}`} in this workspace; ask an Owner.`,
      );
    }
    return mine;
  }
}
