/**
 * An account's device log: signed, hash-chained entries that say which devices hold the account
 * (create, add, revoke). The account key signs only `create`, which names the first device; every
 * later entry is signed by a device (or the recovery key) that is active at that point of the log.
 * Relays check each entry with applyDeviceEntry before storing it and accept sign-in only from an
 * active device; clients replay the whole log from the account id, so a relay can neither certify
 * a device of its own nor hide that a key belongs to someone else.
 *
 * A device is named by its id, the base64url of its Ed25519 public key; its X25519 key (`box`) is
 * what key envelopes for it are sealed to.
 */
import { z } from 'zod';
import { HearthError } from '../errors.ts';
import { fromBase64Url, hash, toBase64Url, toHex, utf8 } from '../crypto/sodium.ts';
import { signDetached, verifyDetached } from '../crypto/identity.ts';
import { canonicalJson } from '../protocol/canonical.ts';
import { AccountIdSchema, HashSchema, SignatureSchema } from '../membership/log.ts';

export const DeviceActions = ['create', 'add', 'revoke'] as const;
export type DeviceAction = (typeof DeviceActions)[number];
/** A device signs in and writes; the recovery entry (keys derived from the recovery key) only adds devices and receives keys. */
export const DeviceKinds = ['device', 'recovery'] as const;
export type DeviceKind = (typeof DeviceKinds)[number];
/** A device's id: the base64url of its Ed25519 public key (the same spelling as an account id). */
export const DeviceIdSchema = AccountIdSchema;
export const DeviceNameSchema = z.string().trim().min(1).max(64);
/**
 * The most entries one log may hold: a person adds and revokes a few devices a year, and the
 * whole log then fits one frame header (64 KiB), so it always travels whole.
 */
export const MAX_DEVICE_ENTRIES = 80;

export const UnsignedDeviceEntrySchema = z.strictObject({
  v: z.literal(1),
  account: AccountIdSchema,
  seq: z
    .number()
    .int()
    .min(0)
    .max(MAX_DEVICE_ENTRIES - 1),
  prev: HashSchema.nullable(),
  action: z.enum(DeviceActions),
  /** The device added or revoked. */
  device: DeviceIdSchema,
  /** Its X25519 key (create and add; null on revoke). */
  box: AccountIdSchema.nullable(),
  kind: z.enum(DeviceKinds).nullable(),
  name: DeviceNameSchema.nullable(),
  /** Who signed: the account (create only), or an active device or recovery entry. */
  by: AccountIdSchema,
  at: z.number().int().min(0),
});
export const DeviceEntrySchema = UnsignedDeviceEntrySchema.extend({ sig: SignatureSchema });
export type UnsignedDeviceEntry = z.infer<typeof UnsignedDeviceEntrySchema>;
export type DeviceEntry = z.infer<typeof DeviceEntrySchema>;

export interface DeviceRecord {
  id: string;
  box: string;
  kind: DeviceKind;
  name: string;
  addedAt: number;
  addedBy: string;
  /** When it was revoked (the revoke entry's signed time), and by whom. */
  revokedAt?: number;
  revokedBy?: string;
}

export interface DeviceLogState {
  account: string;
  /** Every device the log ever added, in the order it added them, revoked ones included. */
  devices: ReadonlyMap<string, DeviceRecord>;
  head: string | null;
  nextSeq: number;
}

const DOMAIN = 'hearth-devices-v1\n';

function signedBytes(entry: UnsignedDeviceEntry): Uint8Array {
  const { v, account, seq, prev, action, device, box, kind, name, by, at } = entry;
  return utf8(DOMAIN + canonicalJson({ v, account, seq, prev, action, device, box, kind, name, by, at }));
}

/** The chain hash of an entry: what the next entry names as `prev`. */
export function deviceEntryHash(entry: DeviceEntry): string {
  return toHex(hash(utf8(canonicalJson(entry))));
}

export function signDeviceEntry(entry: UnsignedDeviceEntry, signSecretKey: Uint8Array): DeviceEntry {
  return { ...entry, sig: toBase64Url(signDetached(signedBytes(entry), signSecretKey)) };
}

export function emptyDeviceLog(account: string): DeviceLogState {
  return { account, devices: new Map(), head: null, nextSeq: 0 };
}

/** Builds the next unsigned entry for `state`, so callers cannot get seq/prev wrong. */
export function nextDeviceEntry(
  state: DeviceLogState,
  fields: { action: DeviceAction; device: string; by: string; box?: string; kind?: DeviceKind; name?: string; at?: number },
): UnsignedDeviceEntry {
  return {
    v: 1,
    account: state.account,
    seq: state.nextSeq,
    prev: state.head,
    action: fields.action,
    device: fields.device,
    box: fields.box ?? null,
    kind: fields.kind ?? null,
    name: fields.name ?? null,
    by: fields.by,
    at: fields.at ?? Date.now(),
  };
}

export function isActive(record: DeviceRecord | undefined): record is DeviceRecord {
  return record !== undefined && record.revokedAt === undefined;
}

/** The devices (and recovery entry) active now. */
export function activeDevices(state: DeviceLogState): DeviceRecord[] {
  return [...state.devices.values()].filter((d) => d.revokedAt === undefined);
}

function refuse(message: string): never {
  throw new HearthError('FORBIDDEN', message);
}

function publicKeyOf(id: string): Uint8Array {
  try {
    const key = fromBase64Url(id);
    if (key.length === 32) return key;
  } catch {
    // refused below
  }
  throw new HearthError('BAD_REQUEST', 'A device log entry names a key that is not 32 bytes of base64url.');
}

/**
 * Checks one entry against the log before it (schema, chain, signature, who may sign, what may
 * change) and returns the log after it. Throws HearthError (BAD_REQUEST, CONFLICT, RECORD_TAMPERED
 * or FORBIDDEN); never mutates `state`.
 */
export function applyDeviceEntry(state: DeviceLogState, raw: unknown): DeviceLogState {
  const parsed = DeviceEntrySchema.safeParse(raw);
  if (!parsed.success)
    throw new HearthError('BAD_REQUEST', `Device log entry is malformed: ${parsed.error.issues[0]?.message ?? 'invalid'}. Rebuild it with nextDeviceEntry().`);
  const entry = parsed.data;
  if (entry.account !== state.account) throw new HearthError('BAD_REQUEST', 'Device log entry names another account.');
  if (entry.seq !== state.nextSeq || entry.prev !== state.head) {
    throw new HearthError('CONFLICT', `Device log entry ${entry.seq} does not follow entry ${state.nextSeq - 1}; fetch the device log and rebuild the entry.`);
  }
  if (!verifyDetached(fromBase64Url(entry.sig), signedBytes(entry), publicKeyOf(entry.by))) {
    throw new HearthError('RECORD_TAMPERED', 'Device log entry signature does not verify; it was not made by the key it names.');
  }
  const devices = new Map(state.devices);
  const signer = devices.get(entry.by);
  const target = devices.get(entry.device);
  publicKeyOf(entry.device);
  if (entry.action === 'create') {
    if (entry.seq !== 0 || entry.by !== entry.account) refuse('A device log starts with one entry, signed by the account key, naming its first device.');
    if (entry.kind !== 'device') refuse('The first entry of a device log names a device, not a recovery key.');
  } else {
    if (entry.seq === 0) refuse('The first entry of a device log must be create, signed by the account key.');
    if (!isActive(signer)) refuse('Only a device or recovery key that is active in the log can change it; the account key signs only its first entry.');
  }
  if (entry.action === 'create' || entry.action === 'add') {
    if (!entry.box || !entry.kind || !entry.name) throw new HearthError('BAD_REQUEST', 'An added device carries its X25519 key, its kind and its name.');
    publicKeyOf(entry.box);
    if (target) throw new HearthError('ALREADY_EXISTS', 'That device is in the log already; a revoked device cannot come back (make new keys).');
    if (entry.device === entry.account) refuse('The account key is not a device.');
    if (entry.kind === 'recovery' && activeDevices(state).some((d) => d.kind === 'recovery')) {
      refuse('The account has an active recovery key; revoke it before adding another.');
    }
    devices.set(entry.device, { id: entry.device, box: entry.box, kind: entry.kind, name: entry.name, addedAt: entry.at, addedBy: entry.by });
  } else {
    if (entry.box !== null || entry.kind !== null || entry.name !== null) throw new HearthError('BAD_REQUEST', 'A revoke entry carries no key, kind or name.');
    if (!isActive(target)) refuse('That device is not active in the log.');
    devices.set(entry.device, { ...target, revokedAt: entry.at, revokedBy: entry.by });
    if (!activeDevices({ ...state, devices }).some((d) => d.kind === 'device')) {
      refuse('An account keeps at least one active device; link another device before revoking this one (or recover with the recovery key).');
    }
  }
  return { account: state.account, devices, head: deviceEntryHash(entry), nextSeq: entry.seq + 1 };
}

/** Replays a whole log from its first entry; throws if any entry is forged, reordered or not allowed. */
export function replayDeviceLog(account: string, entries: readonly unknown[]): DeviceLogState {
  if (entries.length > MAX_DEVICE_ENTRIES) throw new HearthError('TOO_LARGE', `A device log holds at most ${MAX_DEVICE_ENTRIES} entries.`);
  let state = emptyDeviceLog(account);
  for (const entry of entries) state = applyDeviceEntry(state, entry);
  if (state.nextSeq === 0) throw new HearthError('RECORD_TAMPERED', 'The device log is empty; every device log starts with its create entry.');
  return state;
}

/** Appends entries that follow `state`'s head. */
export function extendDeviceLog(state: DeviceLogState, entries: readonly unknown[]): DeviceLogState {
  if (state.nextSeq + entries.length > MAX_DEVICE_ENTRIES) throw new HearthError('TOO_LARGE', `A device log holds at most ${MAX_DEVICE_ENTRIES} entries.`);
  return entries.reduce<DeviceLogState>(applyDeviceEntry, state);
}

/**
 * Whether `device` could sign for the account at signed time `at`: added by the log, and not
 * revoked before `at`. What a device signed before its revocation stays valid (history); what it
 * signed after is refused.
 */
export function signedWhileActive(state: DeviceLogState, device: string, at: number): boolean {
  const record = state.devices.get(device);
  return record !== undefined && record.kind === 'device' && (record.revokedAt === undefined || at < record.revokedAt);
}
