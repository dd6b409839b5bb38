/**
 * The membership log of a space: signed, hash-chained entries (create, add, change_role, remove,
 * transfer, account_deleted). The relay checks each entry with applyMembershipEntry before appending it; a client
 * replays the whole log with replayMembership and so does not have to trust the relay.
 *
 * An account is named by its id, the base64url of its Ed25519 public key, so any entry can be
 * verified from the log alone.
 */
import { z } from 'zod';
import { HearthError } from '../errors.ts';
import { fromBase64Url, hash, toBase64Url, toHex, utf8 } from '../crypto/sodium.ts';
import { signDetached, verifyDetached } from '../crypto/identity.ts';
import { canonicalJson } from '../protocol/canonical.ts';
import { RoleSchema, canSetRole, canTransferOwnership, countOwners, type Role } from '../roles.ts';

export const IdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an id is 1–64 characters of A–Z, a–z, 0–9, _ or -');
// Canonical base64url only: the last character may not carry stray bits (libsodium refuses
// such text, and one value must have exactly one spelling).
/** base64url (no padding) of 32 bytes, e.g. an Ed25519 public key. */
export const AccountIdSchema = z.string().regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'an account id is a base64url Ed25519 public key');
export const HashSchema = z.string().regex(/^[0-9a-f]{64}$/);
/** base64url (no padding) of a 64-byte Ed25519 signature. */
export const SignatureSchema = z.string().regex(/^[A-Za-z0-9_-]{85}[AQgw]$/, 'a signature is 64 bytes in base64url');

/**
 * `account_deleted` is a member leaving because it deletes its whole account: like leaving, but the
 * other members' clients then start a new key epoch and show what it wrote as a deleted user's.
 * `device_revoked` is a member saying that it revoked one of its devices: nobody's role changes,
 * and the entry starts a new key epoch, sealed by that member in the same step (common/devices/log.ts).
 */
export const MembershipActions = ['create', 'add', 'change_role', 'remove', 'transfer', 'account_deleted', 'device_revoked'] as const;
export type MembershipAction = (typeof MembershipActions)[number];

export const UnsignedEntrySchema = z.strictObject({
  v: z.literal(1),
  space: IdSchema,
  seq: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31),
  prev: HashSchema.nullable(),
  actor: AccountIdSchema,
  action: z.enum(MembershipActions),
  subject: AccountIdSchema,
  role: RoleSchema.nullable(),
  at: z.number().int().min(0),
});
export const MembershipEntrySchema = UnsignedEntrySchema.extend({ sig: SignatureSchema });
export type UnsignedMembershipEntry = z.infer<typeof UnsignedEntrySchema>;
export type MembershipEntry = z.infer<typeof MembershipEntrySchema>;

export interface MembershipState {
  space: string;
  members: Map<string, Role>;
  /** Hash of the last entry; null before the genesis entry. */
  head: string | null;
  nextSeq: number;
}

const DOMAIN = 'hearth-membership-v1\n';

function signedBytes(entry: UnsignedMembershipEntry): Uint8Array {
  const { v, space, seq, prev, actor, action, subject, role, at } = entry;
  return utf8(DOMAIN + canonicalJson({ v, space, seq, prev, actor, action, subject, role, at }));
}

/** The chain hash of an entry: what the next entry names as `prev` and changes name as `head`. */
export function entryHash(entry: MembershipEntry): string {
  return toHex(hash(utf8(canonicalJson(entry))));
}

export function signMembershipEntry(entry: UnsignedMembershipEntry, signSecretKey: Uint8Array): MembershipEntry {
  return { ...entry, sig: toBase64Url(signDetached(signedBytes(entry), signSecretKey)) };
}

export function emptyMembership(space: string): MembershipState {
  return { space, members: new Map(), head: null, nextSeq: 0 };
}

/** Builds the next unsigned entry for `state`, so callers cannot get seq/prev wrong. */
export function nextEntry(
  state: MembershipState,
  fields: { actor: string; action: MembershipAction; subject: string; role: Role | null; at?: number },
): UnsignedMembershipEntry {
  return { v: 1, space: state.space, seq: state.nextSeq, prev: state.head, at: fields.at ?? Date.now(), ...fields, role: fields.role };
}

function refuse(message: string): never {
  throw new HearthError('FORBIDDEN', message);
}

/**
 * Checks one entry against the state before it (schema, chain, signature, role rules, at least
 * one Owner) and returns the state after it. Throws HearthError (BAD_REQUEST, CONFLICT,
 * RECORD_TAMPERED or FORBIDDEN); never mutates `state`.
 */
export function applyMembershipEntry(state: MembershipState, raw: unknown): MembershipState {
  const parsed = MembershipEntrySchema.safeParse(raw);
  if (!parsed.success)
    throw new HearthError('BAD_REQUEST', `Membership entry is malformed: ${parsed.error.issues[0]?.message ?? 'invalid'}. Rebuild it with nextEntry().`);
  const entry = parsed.data;
  if (entry.space !== state.space) throw new HearthError('BAD_REQUEST', 'Membership entry names another space.');
  if (entry.seq !== state.nextSeq || entry.prev !== state.head) {
    throw new HearthError('CONFLICT', `Membership entry ${entry.seq} does not follow head ${state.nextSeq - 1}; fetch the log and rebuild the entry.`);
  }
  let publicKey: Uint8Array;
  try {
    publicKey = fromBase64Url(entry.actor);
  } catch {
    throw new HearthError('BAD_REQUEST', 'Membership entry actor is not a public key.');
  }
  if (publicKey.length !== 32 || !verifyDetached(fromBase64Url(entry.sig), signedBytes(entry), publicKey)) {
    throw new HearthError('RECORD_TAMPERED', 'Membership entry signature does not verify; it was not made by its actor.');
  }

  const members = new Map(state.members);
  const actorRole = members.get(entry.actor);
  const subjectRole = members.get(entry.subject);
  if (entry.action === 'create') {
    if (entry.seq !== 0 || entry.actor !== entry.subject || entry.role !== 'owner') {
      refuse('A space starts with one entry: its creator adds itself as Owner.');
    }
    members.set(entry.subject, 'owner');
  } else {
    if (entry.seq === 0) refuse('The first entry of a space must be create.');
    if (!actorRole) refuse('Only members can change the membership of a space.');
    switch (entry.action) {
      case 'add':
        if (subjectRole) throw new HearthError('ALREADY_EXISTS', 'That account is already a member; change its role instead.');
        if (!entry.role || !canSetRole(actorRole, undefined, entry.role)) refuse(`A ${actorRole} cannot add a member as ${entry.role ?? 'nothing'}.`);
        members.set(entry.subject, entry.role);
        break;
      case 'change_role':
        if (!subjectRole) refuse('That account is not a member; add it first.');
        if (!entry.role || entry.role === subjectRole) throw new HearthError('BAD_REQUEST', 'A role change must name a new role.');
        if (!canSetRole(actorRole, subjectRole, entry.role)) refuse(`A ${actorRole} cannot change a ${subjectRole} to ${entry.role}.`);
        members.set(entry.subject, entry.role);
        break;
      case 'remove':
        if (!subjectRole) refuse('That account is not a member.');
        if (entry.role !== null) throw new HearthError('BAD_REQUEST', 'A remove entry carries no role.');
        // Anyone may leave; removing someone else needs the right to manage them.
        if (entry.actor !== entry.subject && !canSetRole(actorRole, subjectRole, undefined)) refuse(`A ${actorRole} cannot remove a ${subjectRole}.`);
        members.delete(entry.subject);
        break;
      case 'account_deleted':
        if (entry.actor !== entry.subject) refuse('Only the account itself can say that it was deleted.');
        if (entry.role !== null) throw new HearthError('BAD_REQUEST', 'An account_deleted entry carries no role.');
        members.delete(entry.subject);
        break;
      case 'device_revoked':
        if (entry.actor !== entry.subject) refuse('Only the account itself can say that it revoked one of its devices.');
        if (entry.role !== null) throw new HearthError('BAD_REQUEST', 'A device_revoked entry carries no role.');
        break;
      case 'transfer':
        if (!canTransferOwnership(actorRole)) refuse('Only an Owner can transfer ownership.');
        if (!subjectRole || entry.subject === entry.actor) refuse('Ownership goes to another existing member.');
        if (entry.role !== 'owner') throw new HearthError('BAD_REQUEST', 'A transfer entry carries role owner.');
        // The previous Owner stays on as Admin.
        members.set(entry.subject, 'owner');
        members.set(entry.actor, 'admin');
        break;
    }
    if (countOwners(members) < 1) refuse('A space always keeps at least one Owner; make someone else Owner first.');
  }
  return { space: state.space, members, head: entryHash(entry), nextSeq: entry.seq + 1 };
}

/**
 * A personal workspace that syncs between its person's devices (space kind 'personal') has one
 * member for good: the account that made it. The relay checks this before appending an entry to
 * such a space, and clients before building one, so that no one else can ever be added to it.
 */
export function assertPersonalSpaceEntry(entry: Pick<UnsignedMembershipEntry, 'action' | 'actor' | 'subject'>): void {
  const ownStep = entry.action === 'create' || entry.action === 'remove' || entry.action === 'account_deleted' || entry.action === 'device_revoked';
  if (!ownStep || entry.subject !== entry.actor) refusePersonalMember();
}

/** Refuses adding anyone to, or changing a role in, a personal workspace (synced between one account's devices or not). */
export function refusePersonalMember(): never {
  refuse(
    'This is a personal workspace: it syncs only between your own devices, so no one else can be added to it and its only role is yours. To work on it with others, use Share with a team… (it then becomes a team workspace).',
  );
}

/** Replays a whole log from its genesis entry; throws if any entry is forged, reordered or not allowed. */
export function replayMembership(space: string, entries: readonly unknown[]): MembershipState & { heads: Set<string> } {
  let state = emptyMembership(space);
  const heads = new Set<string>();
  for (const entry of entries) {
    state = applyMembershipEntry(state, entry);
    heads.add(state.head!);
  }
  if (state.nextSeq === 0) throw new HearthError('RECORD_TAMPERED', 'The membership log is empty; a space always has its create entry.');
  return { ...state, heads };
}

/**
 * How far a former member may read a space's log: up to and including the entry that last took
 * `account` out (removed by someone else, left, or deleted its account), so that it learns who
 * removed it and when, and nothing after. -1 if the log never took it out.
 */
export function lastDepartureIndex(entries: readonly MembershipEntry[], account: string): number {
  return entries.findLastIndex((e) => e.subject === account && (e.action === 'remove' || e.action === 'account_deleted'));
}
