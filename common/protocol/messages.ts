/**
 * Every frame of the relay protocol, as a zod schema. Both sides validate every frame they
 * receive (decodeClientFrame on the relay, decodeRelayFrame in the client) and every frame they
 * send (encodeFrame). Headers are strict: an unknown field is an error, not something ignored.
 */
import { z } from 'zod';
import { ErrorCodes, HearthError } from '../errors.ts';
import { DeviceEntrySchema, DeviceIdSchema, DeviceKinds, DeviceNameSchema, MAX_DEVICE_ENTRIES } from '../devices/log.ts';
import { PairingOfferSchema } from '../devices/pairing.ts';
import { ProfileUpdateSchema } from './profile.ts';
import { AccountIdSchema, HashSchema, IdSchema, MembershipEntrySchema, SignatureSchema } from '../membership/log.ts';
import { RoleSchema } from '../roles.ts';
import { UsernameSchema } from '../username.ts';
import { decodeRawFrame, encodeRawFrame } from './frame.ts';

/**
 * Bumped on any incompatible change. The relay accepts a hello from MIN_PROTOCOL_VERSION up to
 * this one and sends a connection only the frames its version knows (2 added `membershipChanged`,
 * which a version-1 client would take for an invalid frame and disconnect over; 3 lets
 * `appendMembership` carry the new key epoch's envelopes, stored in the same step as the entry;
 * 4 adds device logs (sign-in by a device, putDevices, getDevices, revokeDevice), `forgetHistory`,
 * document generations in change metadata, and `historyForgotten`).
 */
export const PROTOCOL_VERSION = 4;
/** The oldest client version the relay still serves. */
export const MIN_PROTOCOL_VERSION = 1;

const rid = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const space = IdSchema;
const doc = IdSchema;
const nonce = AccountIdSchema; // 32 random bytes, same spelling as a key
export { UsernameSchema };
export const DisplayNameSchema = z.string().min(1).max(80);
/** A team workspace, one selectively shared document, or a personal workspace that syncs between one account's devices only. */
export const SpaceKindSchema = z.enum(['workspace', 'document', 'personal']);
export type SpaceKind = z.infer<typeof SpaceKindSchema>;
/** The most spaces one revocation rotates on one relay (its frame header stays under 64 KiB). */
export const MAX_REVOKE_SPACES = 64;
/** The most comments one forgetHistory carries into a document's new generation. */
export const MAX_CARRIED_COMMENTS = 10_000;
/** A whole device log fits one frame (MAX_DEVICE_ENTRIES keeps it under the 64 KiB header). */
const deviceEntries = z.array(DeviceEntrySchema).max(MAX_DEVICE_ENTRIES);

type PartRule = number | [min: number, max: number] | ((header: never) => number);

function frame<T extends string, S extends z.ZodRawShape>(t: T, shape: S, parts: PartRule = 0) {
  return { schema: z.strictObject({ t: z.literal(t), ...shape }), parts };
}

/** Frames a client sends to the relay. */
export const clientFrames = {
  hello: frame('hello', { rid, protocol: z.number().int() }),
  /**
   * With `device` (protocol 4) the device signs the proof and `devices` is the account's whole
   * device log (common/devices/log.ts), which must name it as active. Without, the account key
   * signs and the account has no device log yet.
   */
  register: frame(
    'register',
    {
      rid,
      account: AccountIdSchema,
      nonce,
      signature: SignatureSchema,
      username: UsernameSchema,
      displayName: DisplayNameSchema,
      boxPublicKey: AccountIdSchema,
      device: DeviceIdSchema.optional(),
      devices: deviceEntries.min(1).optional(),
    },
    [0, 1],
  ),
  /** `device`: the device that signs in (an account with a device log signs in only this way). */
  signIn: frame('signIn', { rid, account: AccountIdSchema, nonce, signature: SignatureSchema, device: DeviceIdSchema.optional() }),
  /** Appends entries to the signed-in account's device log (the whole log from its first entry, when the relay has none yet). */
  putDevices: frame('putDevices', { rid, entries: deviceEntries.min(1) }),
  /** An account's device log from entry `since`. */
  getDevices: frame('getDevices', { rid, account: AccountIdSchema, since: seq }),
  /**
   * The recovery key (common/devices/recovery-key.ts), protocol 4. recoveryAccount (no session):
   * which account `username` is, if `device` is its active recovery key (a fresh machine knows only
   * the username and the key). putRecovery: the account material sealed to the signed-in account's
   * active recovery key `device` (one part), replacing what was there. getRecovery: that material,
   * to the recovery key only, once it signed in.
   */
  recoveryAccount: frame('recoveryAccount', { rid, username: UsernameSchema, device: DeviceIdSchema }),
  putRecovery: frame('putRecovery', { rid, device: DeviceIdSchema }, 1),
  getRecovery: frame('getRecovery', { rid }),
  /**
   * Revokes a device of the signed-in account in one step: the device log's revoke entry and, for
   * every space the account is a member of on this relay, a device_revoked membership entry with
   * the new key epoch's envelopes (the parts, space after space), one per active device of every
   * member (or the member itself, for an account without a device log). Stored all or nothing.
   */
  revokeDevice: frame(
    'revokeDevice',
    {
      rid,
      entry: DeviceEntrySchema,
      spaces: z
        .array(z.strictObject({ space, entry: MembershipEntrySchema, epoch: seq, recipients: z.array(AccountIdSchema).min(1).max(256) }))
        .max(MAX_REVOKE_SPACES),
    },
    (h: { spaces: Array<{ recipients: string[] }> }) => h.spaces.reduce((n, s) => n + s.recipients.length, 0),
  ),
  /**
   * Linking a new device (common/devices/pairing.ts), in order: the new device offers its keys to
   * the account named by `username` (pairOffer, answered with `pairing`); a device of the account
   * lists offers (pairList) and answers one with its nonce (pairAnswer); the new device reveals its
   * secret (pairReveal); both show the confirmation code; the device of the account sends the
   * account sealed to the new device (pairApprove with one part), or declines (no part), and the
   * new device collects it (pairRead). A pairing id is the new device's capability for its row.
   */
  pairOffer: frame('pairOffer', { rid, username: UsernameSchema, offer: PairingOfferSchema }),
  pairRead: frame('pairRead', { rid, pairing: IdSchema }),
  pairReveal: frame('pairReveal', { rid, pairing: IdSchema, secret: AccountIdSchema }),
  pairList: frame('pairList', { rid }),
  pairAnswer: frame('pairAnswer', { rid, pairing: IdSchema, nonce: AccountIdSchema }),
  pairApprove: frame('pairApprove', { rid, pairing: IdSchema }, [0, 1]),
  lookup: frame('lookup', { rid, username: UsernameSchema }),
  createSpace: frame('createSpace', { rid, space, kind: SpaceKindSchema, genesis: MembershipEntrySchema }),
  /**
   * With `epoch` and `recipients` (protocol 3), the entry starts a new key epoch and the parts are
   * its envelopes, one per remaining member (one per active device of a member with a device log): the relay stores both or neither, so two managers
   * removing members at once can never leave an epoch whose key is split or known to a removed member.
   */
  appendMembership: frame(
    'appendMembership',
    { rid, space, entry: MembershipEntrySchema, epoch: seq.optional(), recipients: z.array(AccountIdSchema).min(1).max(256).optional() },
    (h: { recipients?: string[] }) => h.recipients?.length ?? 0,
  ),
  getMembership: frame('getMembership', { rid, space, since: seq }),
  /**
   * A former member's read of the log (answered with `membership`): the entries from `since` up to
   * and including the one that took it out of the space, so that its client can verify who removed
   * it and when; nothing after that entry. Members read with getMembership.
   */
  getRemoval: frame('getRemoval', { rid, space, since: seq }),
  putEnvelopes: frame(
    'putEnvelopes',
    { rid, space, epoch: seq, recipients: z.array(AccountIdSchema).min(1).max(256) },
    (h: { recipients: string[] }) => h.recipients.length,
  ),
  getEnvelopes: frame('getEnvelopes', { rid, space }),
  deleteSpace: frame('deleteSpace', { rid, space }),
  push: frame('push', { rid, space, doc }, 1),
  pull: frame('pull', { rid, space, doc, since: seq, limit: z.number().int().min(1).max(1000).optional() }),
  subscribe: frame('subscribe', { rid, space, doc }),
  unsubscribe: frame('unsubscribe', { rid, space, doc }),
  putSnapshot: frame('putSnapshot', { rid, space, doc, covers: seq }, 1),
  deleteDoc: frame('deleteDoc', { rid, space, doc }),
  /**
   * Replaces a document's history with a new generation (protocol 4): the part is the new
   * generation's first snapshot (a signed change of kind snapshot with meta.gen = gen). The relay
   * drops the old log and snapshot in the same step, and only if `covers` is still its last
   * sequence number (the forgetter has every change it holds: nobody's edit falls in between).
   * With `comments`, that many more parts follow: the document's live comments, each a signed
   * comment change of the new generation, which the relay keeps under the snapshot as their own
   * blobs, so a later deletion of one reaches every copy the relay holds.
   */
  forgetHistory: frame(
    'forgetHistory',
    { rid, space, doc, gen: seq.min(1), covers: seq, comments: z.number().int().min(0).max(MAX_CARRIED_COMMENTS).optional() },
    (h: { comments?: number }) => 1 + (h.comments ?? 0),
  ),
  fileBegin: frame('fileBegin', {
    rid,
    space,
    file: IdSchema,
    size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    chunkSize: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024),
  }),
  fileChunk: frame(
    'fileChunk',
    {
      rid,
      space,
      file: IdSchema,
      index: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31),
    },
    1,
  ),
  fileStatus: frame('fileStatus', { rid, space, file: IdSchema }),
  fileGet: frame('fileGet', {
    rid,
    space,
    file: IdSchema,
    index: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31),
  }),
  fileDelete: frame('fileDelete', { rid, space, file: IdSchema }),
  /** `doc`: the document the copy publishes (the relay knows document ids from the change logs); deleting it drops the link. */
  linkCreate: frame('linkCreate', { rid, space, link: IdSchema, expiresAt: z.number().int().min(0).nullable(), doc: IdSchema.optional() }, 1),
  linkRevoke: frame('linkRevoke', { rid, space, link: IdSchema }),
  /** An encrypted presence update (common/protocol/presence.ts), forwarded to the document's other subscribers, never stored. */
  presence: frame('presence', { rid, space, doc }, 1),
  access: frame('access', { rid }),
  deleteAccount: frame('deleteAccount', { rid }),
  /**
   * The signed-in account's new public profile, signed by one of its active devices
   * (common/protocol/profile.ts), with the avatar's bytes as the part when it has one. The relay
   * keeps the newest version it has seen; a new username must be free here, and the old one is free
   * at once. Answered with `ok`, `seq` being the version the relay keeps.
   */
  setProfile: frame('setProfile', { rid, update: ProfileUpdateSchema }, [0, 1]),
};

const FileStatusShape = { file: IdSchema, size: seq, chunkSize: seq, received: z.array(seq), complete: z.boolean() };
const ProfileShape = { account: AccountIdSchema, username: UsernameSchema, displayName: DisplayNameSchema, boxPublicKey: AccountIdSchema };

export const AccessReportSchema = z.strictObject({
  ...ProfileShape,
  createdAt: seq,
  lastSignInAt: seq.nullable(),
  avatarBytes: seq,
  bytesStored: seq,
  spaces: z.array(z.strictObject({ space, kind: SpaceKindSchema, role: RoleSchema, bytesStored: seq, bytesAuthored: seq })),
  envelopes: z.array(z.strictObject({ space, epoch: seq })),
  links: z.array(z.strictObject({ link: IdSchema, space, createdAt: seq, expiresAt: seq.nullable(), revoked: z.boolean() })),
  /** The account's devices and recovery key as its device log lists them (protocol 4). */
  devices: z
    .array(
      z.strictObject({
        device: DeviceIdSchema,
        kind: z.enum(DeviceKinds),
        name: DeviceNameSchema,
        addedAt: seq,
        revokedAt: seq.nullable(),
        lastSeenAt: seq.nullable(),
      }),
    )
    .optional(),
  /** What the relay's log holds and how long it keeps it (relays before this field did not say). */
  logs: z.strictObject({ retentionDays: seq, holds: z.string().max(2000) }).optional(),
});
export type AccessReport = z.infer<typeof AccessReportSchema>;

/** Frames the relay sends to a client. `change`, `presence`, `membershipChanged` and `historyForgotten` are the ones not answering a request. */
export const relayFrames = {
  challenge: frame('challenge', { rid, protocol: z.number().int(), relayId: IdSchema, nonce }),
  session: frame('session', { rid, account: AccountIdSchema, expiresAt: seq, device: DeviceIdSchema.optional() }),
  /** A pairing as it stands (the material, sealed to the new device, as the part once approved). */
  pairing: frame(
    'pairing',
    { rid, pairing: IdSchema, account: AccountIdSchema, offer: PairingOfferSchema, nonce: AccountIdSchema.nullable(), secret: AccountIdSchema.nullable() },
    [0, 1],
  ),
  /** The account's open pairings, oldest first. */
  pairings: frame('pairings', {
    rid,
    items: z.array(
      z.strictObject({ pairing: IdSchema, offer: PairingOfferSchema, nonce: AccountIdSchema.nullable(), secret: AccountIdSchema.nullable(), createdAt: seq }),
    ),
  }),
  /** An account's device log from the entry asked for (empty: the account has none). */
  devices: frame('devices', { rid, account: AccountIdSchema, entries: deviceEntries }),
  /** Answers recoveryAccount (no part) and getRecovery (the sealed account material as the part). */
  recovery: frame('recovery', { rid, account: AccountIdSchema }, [0, 1]),
  ok: frame('ok', { rid, seq: seq.optional(), head: HashSchema.optional() }),
  profile: frame('profile', { rid, ...ProfileShape }, [0, 1]),
  membership: frame('membership', { rid, space, entries: z.array(MembershipEntrySchema) }),
  envelopes: frame('envelopes', { rid, space, items: z.array(z.strictObject({ epoch: seq })) }, (h: { items: unknown[] }) => h.items.length),
  changes: frame(
    'changes',
    { rid, space, doc, snapshot: z.strictObject({ covers: seq }).nullable(), seqs: z.array(seq), latest: seq },
    (h: { snapshot: unknown; seqs: unknown[] }) => (h.snapshot ? 1 : 0) + h.seqs.length,
  ),
  change: frame('change', { space, doc, seq }, 1),
  /** A member's presence payload as it came in, stamped with the sender; no part = that sender's connection went away. */
  presence: frame('presence', { space, doc, from: AccountIdSchema }, [0, 1]),
  /**
   * The space's membership log or key envelopes changed (protocol 2+): catch up with getMembership and
   * getEnvelopes. Carries nothing else; sent to members' connections that follow a document of it.
   */
  membershipChanged: frame('membershipChanged', { space }),
  /** A document's history was forgotten (protocol 4+): pull it to get the new generation's snapshot. To its followers. */
  historyForgotten: frame('historyForgotten', { space, doc, gen: seq }),
  fileStatus: frame('fileStatus', { rid, ...FileStatusShape }),
  fileData: frame('fileData', { rid, file: IdSchema, index: seq }, 1),
  access: frame('access', { rid, report: AccessReportSchema }, [0, 1]),
  error: frame('error', { rid: rid.nullable(), code: z.enum(ErrorCodes), message: z.string(), limit: z.string().optional() }),
};

type Defs = Record<string, { schema: z.ZodType; parts: PartRule }>;
type FrameOf<D extends Defs> = { [K in keyof D]: z.infer<D[K]['schema']> & { parts: Uint8Array[] } }[keyof D];
export type ClientFrame = FrameOf<typeof clientFrames>;
export type RelayFrame = FrameOf<typeof relayFrames>;
export type ClientFrameType = ClientFrame['t'];
export type RelayFrameType = RelayFrame['t'];
/** A frame of one type, e.g. `FrameOfType<ClientFrame, 'push'>`. */
export type FrameOfType<F extends { t: string }, T extends F['t']> = Extract<F, { t: T }>;

function unionOf(defs: Defs) {
  const schemas = Object.values(defs).map((d) => d.schema) as unknown as [z.ZodObject, ...z.ZodObject[]];
  return z.discriminatedUnion('t', schemas);
}
const clientUnion = unionOf(clientFrames);
const relayUnion = unionOf(relayFrames);

function expectedParts(rule: PartRule, header: unknown): [number, number] {
  if (typeof rule === 'number') return [rule, rule];
  if (Array.isArray(rule)) return rule;
  const n = (rule as (h: unknown) => number)(header);
  return [n, n];
}

function decodeWith<F>(defs: Defs, union: z.ZodType, bytes: Uint8Array): F {
  const { header, parts } = decodeRawFrame(bytes);
  // The frame's own schema when its type is known (one strict check, no search through the union);
  // the union only to word the refusal of an unknown type.
  const own = typeof header.t === 'string' && Object.hasOwn(defs, header.t) ? defs[header.t]!.schema : union;
  const parsed = own.safeParse(header);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new HearthError('BAD_REQUEST', `Frame header is invalid${where}: ${issue?.message ?? 'invalid'}. See common/protocol/messages.ts for the schema.`);
  }
  const data = parsed.data as { t: string };
  const [min, max] = expectedParts(defs[data.t]!.parts, data);
  if (parts.length < min || parts.length > max) {
    throw new HearthError('BAD_REQUEST', `A ${data.t} frame carries ${min === max ? min : `${min}–${max}`} binary parts, not ${parts.length}.`);
  }
  return { ...data, parts } as F;
}

/** Decodes and validates a frame sent by a client; throws HearthError('BAD_REQUEST') otherwise. */
export function decodeClientFrame(bytes: Uint8Array): ClientFrame {
  return decodeWith<ClientFrame>(clientFrames, clientUnion, bytes);
}

/** Decodes and validates a frame sent by the relay; throws HearthError('BAD_REQUEST') otherwise. */
export function decodeRelayFrame(bytes: Uint8Array): RelayFrame {
  return decodeWith<RelayFrame>(relayFrames, relayUnion, bytes);
}

/**
 * Encodes a frame its sender built itself from values already validated (the relay's answers,
 * its fan-out), without checking its schema again: validation belongs where a frame comes in
 * (decodeClientFrame, decodeRelayFrame), and the typed frame is the schema's type.
 */
export function encodeTrustedFrame(frame: RelayFrame): Uint8Array {
  const { parts, ...header } = frame;
  return encodeRawFrame(header, parts);
}

/** The fan-out frame of one stored change, encoded once for all its recipients. */
export function encodeChangeFrame(space: string, doc: string, seq: number, change: Uint8Array): Uint8Array {
  return encodeRawFrame({ t: 'change', space, doc, seq }, [change]);
}

/** Validates and encodes a frame of either direction; an invalid frame throws instead of leaving. */
export function encodeFrame(frame: ClientFrame | RelayFrame): Uint8Array {
  const { parts, ...header } = frame;
  const def = (clientFrames as Defs)[header.t] ?? (relayFrames as Defs)[header.t];
  if (!def) throw new HearthError('INTERNAL', `Unknown frame type ${header.t}.`);
  // 'fileStatus' and 'access' exist in both directions; pick the definition whose schema fits.
  const candidates = [(clientFrames as Defs)[header.t], (relayFrames as Defs)[header.t]].filter((d) => d !== undefined);
  for (const candidate of candidates) {
    const parsed = candidate.schema.safeParse(header);
    if (!parsed.success) continue;
    const [min, max] = expectedParts(candidate.parts, parsed.data);
    if (parts.length >= min && parts.length <= max) return encodeRawFrame(parsed.data as Record<string, unknown>, parts);
  }
  throw new HearthError('INTERNAL', `Refusing to send an invalid ${header.t} frame.`);
}
