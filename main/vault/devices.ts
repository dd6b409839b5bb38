/**
 * This device's own keys (made here, never sent anywhere: the relay learns the public halves from
 * the device log) and the device logs this vault has verified: its own account's and those of the
 * people it shares spaces with, each replayed from its account id before it is stored. The keys
 * live in the sealed identity record; each log in its own sealed meta row.
 */
import { generateIdentityKeys, type IdentityKeys } from '../../common/crypto/identity.ts';
import { toBase64Url, wipeBytes } from '../../common/crypto/sodium.ts';
import { replayDeviceLog, type DeviceEntry, type DeviceLogState } from '../../common/devices/log.ts';
import { HearthError } from '../../common/errors.ts';
import type { VaultConnection } from './connection.ts';
import { openJson, sealJson } from './sealed-records.ts';

/** This device's keys as the identity record keeps them (hex). */
export interface StoredDeviceKeys {
  signPublicKey: string;
  signSecretKey: string;
  boxPublicKey: string;
  boxSecretKey: string;
  name: string;
  createdAt: number;
}

/** A space the device that linked this one is in, with the epoch keys it held. */
export interface LinkedSpace {
  space: string;
  relay: string;
  epochKeys: Record<string, string>;
}

/** The public face of this device. */
export interface ThisDevice {
  /** Its id: the base64url of its Ed25519 public key. */
  id: string;
  name: string;
  boxPublicKey: string;
  createdAt: number;
}

/** A name for a new device that says what it is without naming its owner or its network. */
export function defaultDeviceName(platform: string = process.platform): string {
  return ({ darwin: 'Mac', win32: 'Windows PC', linux: 'Linux computer' } as Record<string, string>)[platform] ?? 'Computer';
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

/** Fresh keys for a new device, in the form the identity record keeps. */
export function newDeviceKeys(name: string): StoredDeviceKeys {
  const keys = generateIdentityKeys();
  const stored = {
    signPublicKey: hex(keys.signPublicKey),
    signSecretKey: hex(keys.signSecretKey),
    boxPublicKey: hex(keys.boxPublicKey),
    boxSecretKey: hex(keys.boxSecretKey),
    name,
    createdAt: Date.now(),
  };
  wipeBytes(keys.signSecretKey);
  wipeBytes(keys.boxSecretKey);
  return stored;
}

export class DeviceStore {
  private readonly logs = new Map<string, { entries: DeviceEntry[]; state: DeviceLogState }>();

  constructor(
    private readonly connection: VaultConnection,
    private readonly recordsKey: Uint8Array,
    private readonly stored: () => StoredDeviceKeys,
  ) {}

  /** This device: its id, name and X25519 key. */
  get self(): ThisDevice {
    const keys = this.stored();
    return { id: toBase64Url(bytes(keys.signPublicKey)), name: keys.name, boxPublicKey: toBase64Url(bytes(keys.boxPublicKey)), createdAt: keys.createdAt };
  }

  /** This device's secret keys, for signing and opening envelopes; callers must not keep them. */
  keys(): IdentityKeys {
    const k = this.stored();
    return {
      signPublicKey: bytes(k.signPublicKey),
      signSecretKey: bytes(k.signSecretKey),
      boxPublicKey: bytes(k.boxPublicKey),
      boxSecretKey: bytes(k.boxSecretKey),
    };
  }

  /** The verified device log of `account`, if this vault has one. */
  log(account: string): { entries: readonly DeviceEntry[]; state: DeviceLogState } | undefined {
    let found = this.logs.get(account);
    if (!found) {
      const row = this.connection.sql('SELECT value FROM meta WHERE key = ?').get(`device-log/${account}`) as { value: Buffer } | undefined;
      if (!row) return undefined;
      const entries = openJson<DeviceEntry[]>(this.recordsKey, { kind: 'device-log', id: account }, row.value);
      found = { entries, state: replayDeviceLog(account, entries) };
      this.logs.set(account, found);
    }
    return found;
  }

  /**
   * Stores `entries` as `account`'s device log after replaying it from the account id; refuses a log
   * that does not verify, or one that drops or rewrites entries this vault verified before (a
   * relay rolling a revocation back).
   */
  putLog(account: string, entries: readonly DeviceEntry[]): DeviceLogState {
    const state = replayDeviceLog(account, entries);
    const known = this.log(account);
    if (known && (entries.length < known.entries.length || known.entries.some((e, i) => e.sig !== entries[i]!.sig))) {
      throw new HearthError('RECORD_TAMPERED', 'This device log drops or rewrites entries this device already verified: distrust the relay that served it.');
    }
    if (known && known.entries.length === entries.length) return known.state;
    this.connection.write(() =>
      this.connection
        .sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
        .run(`device-log/${account}`, sealJson(this.recordsKey, { kind: 'device-log', id: account }, entries)),
    );
    this.logs.set(account, { entries: [...entries], state });
    return state;
  }

  /**
   * The spaces, with their epoch keys, that the device which linked this one sent (pairing.ts),
   * kept until this vault joined each: a restart in between loses none of them.
   */
  linkedSpaces(): LinkedSpace[] {
    const row = this.connection.sql('SELECT value FROM meta WHERE key = ?').get('linked-spaces') as { value: Buffer } | undefined;
    return row ? openJson<LinkedSpace[]>(this.recordsKey, { kind: 'linked-spaces', id: 'self' }, row.value) : [];
  }

  putLinkedSpaces(spaces: readonly LinkedSpace[]): void {
    this.connection.write(() =>
      this.connection
        .sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
        .run('linked-spaces', sealJson(this.recordsKey, { kind: 'linked-spaces', id: 'self' }, spaces)),
    );
  }

  /** Forgets what was read, so the next look reads the file (another process may have written it). */
  forgetCached(): void {
    this.logs.clear();
  }
}
