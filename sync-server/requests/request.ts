/**
 * What a request handler gets (the relay's shared parts, the connection, the validated frame) and
 * the role checks a request can declare, with the code that applies them.
 */
import { HearthError } from '../../common/errors.ts';
import type { ClientFrame, ClientFrameType, FrameOfType, RelayFrame } from '../../common/protocol/messages.ts';
import {
  Roles,
  canDeleteContent,
  canDeleteSpace,
  canForgetHistory,
  canManageLinks,
  canManageMembers,
  canPush,
  canRead,
  canWriteContent,
  type ChangeKind,
  type CommentOp,
  type Role,
} from '../../common/roles.ts';
import type { Connection } from '../connection.ts';
import type { RelayHub, Send } from '../hub.ts';
import type { RelayLimits } from '../limits.ts';
import { forbid } from '../refusals.ts';
import type { RelayLog } from '../relay-log.ts';
import type { RelayStorage, Writer } from '../storage/relay-store.ts';
import type { VerifyPool } from '../verify-pool.ts';

export type { Send };

/** The relay's parts every handler may use. */
export interface RelayContext {
  readonly store: RelayStorage;
  readonly hub: RelayHub;
  /** Signature checks, on worker threads. */
  readonly verifier: VerifyPool;
  readonly limits: RelayLimits;
  readonly log: RelayLog;
  /** How many days the log keeps its lines (the right-of-access answer says so). */
  readonly logDays: number;
  readonly relayId: string;
  readonly nonceTtlMs: number;
  /** How long a deleted account's data may linger before it is purged (0 = at once). */
  readonly purgeWindowMs: number;
}

export interface Request<T extends ClientFrameType> {
  relay: RelayContext;
  connection: Connection;
  frame: FrameOfType<ClientFrame, T>;
  send: Send;
  /** When the relay took the request up. */
  now: number;
}

/** The rules of common/roles.ts that a request can require of the caller's role in the frame's space. */
export const spaceRules = { canRead, canWriteContent, canDeleteContent, canForgetHistory, canManageMembers, canManageLinks, canDeleteSpace } as const;
export type SpaceRule = keyof typeof spaceRules;
const allowedBy = new Map(Object.values(spaceRules).map((rule) => [rule, Roles.filter(rule)] as const));

/**
 * Who may send a request. Every entry of the request table declares one; handleRequest applies
 * it before the handler runs.
 * - 'none': the handshake (hello, register, signIn), which is how a caller proves who it is.
 * - 'signedIn': a session and nothing more: the account's own business, or a space not made yet.
 * - a SpaceRule: a session, membership of the frame's space, and a role the rule allows.
 * - 'canPush(change)': a member; the handler then applies canPush(role, kind, op) through
 *   requirePush once the change is verified and its kind known, and for a comment change the
 *   store applies canChangeComment inside the write, against the comment's author as it has it.
 * - 'canSetRole(entry)': a session; the handler then requires membership from the stored log, and
 *   the entry itself must pass applyMembershipEntry, which applies canSetRole and canTransferOwnership.
 */
export type RoleCheck = 'none' | 'signedIn' | SpaceRule | 'canPush(change)' | 'canSetRole(entry)';

export interface SignedIn {
  account: string;
  /** The device signed in; undefined for an account without a device log (its account key signed in). */
  device: string | undefined;
}
export interface Member extends SignedIn {
  role: Role;
  /** The roles the request's rule allows, which its write checks again inside its transaction. */
  allowed: readonly Role[];
}
/** What a check establishes about the caller, handed to the handler. */
export type CallerOf<C extends RoleCheck> = C extends 'none' ? null : C extends 'signedIn' | 'canSetRole(entry)' ? SignedIn : Member;
/** The checks a request type can declare: only frames that name a space can ask for a role in it. */
export type ChecksFor<T extends ClientFrameType> = FrameOfType<ClientFrame, T> extends { space: string } ? RoleCheck : 'none' | 'signedIn';

/** Applies `check` to the connection's caller; `action` completes "A viewer cannot … in this space". */
export async function authorize(
  relay: RelayContext,
  connection: Connection,
  frame: ClientFrame,
  check: RoleCheck,
  action: string,
): Promise<SignedIn | Member | null> {
  if (check === 'none') return null;
  const account = relay.hub.session(connection);
  const device = connection.device;
  if (check === 'signedIn' || check === 'canSetRole(entry)') return { account, device };
  if (!('space' in frame)) throw new HearthError('INTERNAL', `The request table asks a ${frame.t} frame for a role in a space it does not name.`);
  const rule = check === 'canPush(change)' ? canRead : spaceRules[check];
  let roles = await relay.hub.members(frame.space);
  let role = roles.get(account);
  if (!role || !rule(role)) {
    // The cache may not have heard of a role given on another instance yet: a refusal reads again.
    roles = await relay.hub.membersAgain(frame.space);
    role = roles.get(account);
  }
  if (!role) {
    if (roles.size === 0) throw new HearthError('NOT_FOUND', `There is no space ${frame.space} on this relay (it may have been deleted).`);
    forbid('You are not a member of this space; ask one of its Owners or Admins to add you.');
  }
  if (!rule(role)) forbid(`A ${role} cannot ${action} in this space; ask an Owner or Admin for another role.`);
  return { account, device, role, allowed: allowedBy.get(rule)! };
}

/** The second half of 'canPush(change)': whether the member's role may author a change of this kind (and comment operation). */
export function requirePush({ role }: Member, kind: ChangeKind, op?: CommentOp): void {
  if (!canPush(role, kind, op)) forbid(`A ${role} cannot push ${kind} changes in this space.`);
}

/** The roles that may push a change of `kind`. */
export const pushRoles = (kind: ChangeKind): readonly Role[] => Roles.filter((role) => canPush(role, kind));

/** The caller as the store checks it again inside the write's transaction. */
export const writerOf = (caller: Member, roles: readonly Role[] = caller.allowed): Writer => ({ account: caller.account, roles });

export const ok = (rid: number, extra: { seq?: number; head?: string } = {}): RelayFrame => ({ t: 'ok', rid, ...extra, parts: [] });
