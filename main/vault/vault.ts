/**
 * The vault: one SQLite file per profile, every payload sealed under keys that exist only while
 * it is unlocked. Creating, unlocking, locking and changing the passphrase live here; the kinds
 * of content each have their own store that shares this vault's database and keys.
 */
import type { Database } from 'better-sqlite3';
import BetterSqlite3 from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { equalBytes, fromHex, fromUtf8, loadSodium, newId, randomKey, toBase64Url, tryOpen, wipeBytes } from '../../common/crypto/sodium.ts';
import { newActor } from '../../common/history/authors.ts';
import { generateIdentityKeys, type IdentityKeys } from '../../common/crypto/identity.ts';
import { HearthError } from '../../common/errors.ts';
import { AuditLog, recordPendingEvent } from './audit.ts';
import { CommentStore } from './comments.ts';
import { defaultDeviceName, DeviceStore, newDeviceKeys, type StoredDeviceKeys } from './devices.ts';
import { VaultConnection } from './connection.ts';
import { createDatabase, openDatabase, vaultErrorOf, type OpenOptions } from './database.ts';
import { DocumentStore } from './documents.ts';
import type { ChangeOrigin } from './events.ts';
import { FileStore } from './files.ts';
import { LinkRecordStore } from './links.ts';
import { deriveKek, deriveSubkey, newKdfParams, SubkeyPurpose, unwrapMasterKey, wrapMasterKey, wrappedKeyChecksum, type KdfParams } from './keys.ts';
import { migrate } from './migrations.ts';
import { combinedKek, deviceKek, SecondFactor, SecondFactorRecords, type SecondFactorInfo, type SecondFactorProof } from './second-factor.ts';
import { SearchIndex, type SearchHit } from './search.ts';
import { shredFile } from './shred.ts';
import { associatedData, sealJson } from './sealed-records.ts';
import { SyncLease } from './sync-lease.ts';
import { SyncStateStore } from './sync-state.ts';
import { assertUnlockAllowed } from './unlock-delay.ts';
import { WorkspaceStore } from './workspaces.ts';
import { WalKeeper } from './wal.ts';

export const VAULT_FILE_NAME = 'vault.sqlite';
/** An upload that has not moved for this long was abandoned (a crash); younger ones may be another process's. */
const ABANDONED_UPLOAD_MS = 10 * 60_000;

export interface Profile {
  username: string;
  displayName: string;
  /** A small picture the user chose to publish, as a data: URL. */
  avatar?: string;
  /** Usernames this vault had before (its comments written under them are still its own), newest last. */
  formerUsernames?: string[];
}

interface StoredIdentity {
  profile: Profile;
  /** The account key (its public half is the account id) and the account's X25519 key, from before devices existed. */
  keys: { signPublicKey: string; signSecretKey: string; boxPublicKey: string; boxSecretKey: string };
  /** This device's own keys (main/vault/devices.ts); made at unlock for a vault from before devices existed. */
  device?: StoredDeviceKeys;
  createdAt: number;
  /** The version of the profile as this vault last changed it (main/sync/profile.ts signs it for the relays); absent: never changed. */
  profileVersion?: number;
}

export interface CreateVaultOptions extends OpenOptions {
  passphrase: string;
  profile: Profile;
  /** Argon2id cost; defaults to DEFAULT_KDF_COST. */
  kdfCost?: { opsLimit: number; memLimit: number };
  /** Start with an empty "Personal" workspace (the default); off when the vault is made to receive an import. */
  personalWorkspace?: boolean;
  /** This device's name in the account's device list; by default what kind of computer it is. */
  deviceName?: string;
}

/** A master key wrapped under a passphrase, as a backup carries it (base64 fields). */
export interface KeyMaterial {
  kdf: KdfParams;
  masterKey: string;
  check: string;
}

const USERNAME = /^[a-z0-9][a-z0-9_.-]{1,31}$/;
const MAX_AVATAR_CHARS = 256 * 1024;

export function validateProfile(profile: Profile): Profile {
  if (!USERNAME.test(profile.username)) {
    throw new HearthError('BAD_REQUEST', 'A username is 2–32 characters: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit.');
  }
  const displayName = profile.displayName.trim();
  if (displayName.length === 0 || displayName.length > 64) {
    throw new HearthError('BAD_REQUEST', 'A display name is 1–64 characters.');
  }
  if (profile.avatar !== undefined && (!/^data:image\/(png|jpeg|webp|gif);base64,/.test(profile.avatar) || profile.avatar.length > MAX_AVATAR_CHARS)) {
    throw new HearthError('BAD_REQUEST', 'An avatar is a PNG, JPEG, WebP or GIF image of at most 192 KB.');
  }
  return { ...profile, displayName };
}

function checkPassphrase(passphrase: string): void {
  if (passphrase.length < 8) throw new HearthError('BAD_REQUEST', 'Choose a passphrase of at least 8 characters.');
}

function vaultFile(dir: string): string {
  return join(dir, VAULT_FILE_NAME);
}

function readMeta(db: Database, key: string): Buffer | undefined {
  return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: Buffer } | undefined)?.value;
}

function writeMeta(db: Database, key: string, value: Uint8Array | string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    key,
    typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
  );
}

function readKeyMaterial(db: Database, file: string): { vaultId: string; kdf: KdfParams; wrapped: Buffer } {
  const vaultId = readMeta(db, 'vault_id')?.toString('utf8');
  const kdf = readMeta(db, 'kdf');
  const wrapped = readMeta(db, 'master_key');
  const checksum = readMeta(db, 'master_key_check');
  if (!vaultId || !kdf || !wrapped || !checksum || !equalBytes(wrappedKeyChecksum(wrapped), checksum)) {
    throw new HearthError('VAULT_CORRUPT', `The vault file ${file} has damaged key material. Hearth has not changed it; restore it from a backup.`);
  }
  return { vaultId, kdf: JSON.parse(kdf.toString('utf8')) as KdfParams, wrapped };
}

export class Vault {
  readonly workspaces: WorkspaceStore;
  readonly documents: DocumentStore;
  readonly comments: CommentStore;
  readonly files: FileStore;
  /** What team sync keeps between runs (main/sync/ reads and writes it). */
  readonly syncState: SyncStateStore;
  /** The public links this vault published (main/sync/links.ts). */
  readonly links: LinkRecordStore;
  private readonly searchIndex: SearchIndex;
  readonly audit: AuditLog;
  /** The second factor: enrol a security key, check it, remove it, recovery codes (main/vault/second-factor.ts). */
  readonly secondFactor: SecondFactor;
  /** This device's keys and the device logs this vault verified (main/vault/devices.ts). */
  readonly devices: DeviceStore;
  private locked = false;
  private readonly connection: VaultConnection;
  /** The connection's generation at the last look for other processes' changes. */
  private lookedAt = -1;

  /** How this vault's SQLite was opened (Electron passes its own native build); copies open the same way. */
  private openOptions: OpenOptions = {};
  private readonly wal: WalKeeper;

  private constructor(
    readonly dir: string,
    private readonly db: Database,
    readonly vaultId: string,
    private readonly masterKey: Uint8Array,
    private readonly recordsKey: Uint8Array,
    private identity: StoredIdentity,
  ) {
    this.wal = new WalKeeper(db, `${vaultFile(dir)}-wal`);
    const connection = new VaultConnection(db, vaultFile(dir));
    this.connection = connection;
    this.audit = new AuditLog(connection, recordsKey, () => this.identity.profile.username);
    this.workspaces = new WorkspaceStore(connection, recordsKey, this.audit);
    this.searchIndex = new SearchIndex();
    const account = toBase64Url(fromHex(identity.keys.signPublicKey));
    this.documents = new DocumentStore(connection, this.workspaces, this.searchIndex, this.audit, () => newActor(account));
    this.comments = new CommentStore(connection, this.workspaces, this.documents, this.searchIndex, this.audit, () => this.identity.profile.username);
    this.files = new FileStore(connection, this.workspaces, this.audit);
    this.syncState = new SyncStateStore(connection, recordsKey, this.workspaces);
    this.links = new LinkRecordStore(connection, this.workspaces);
    this.devices = new DeviceStore(connection, recordsKey, () => this.identity.device!);
    this.secondFactor = new SecondFactor({
      db,
      vaultId,
      masterKey,
      recordsKey,
      audit: this.audit,
      kdf: () => readKeyMaterial(db, vaultFile(dir)).kdf,
      assertUnlocked: () => this.assertUnlocked(),
    });
  }

  static exists(dir: string): boolean {
    return existsSync(vaultFile(dir));
  }

  /** Makes a new vault with fresh identity keys and a first personal workspace. */
  static async create(dir: string, options: CreateVaultOptions): Promise<Vault> {
    await loadSodium();
    checkPassphrase(options.passphrase);
    const profile = validateProfile(options.profile);
    const file = vaultFile(dir);
    if (existsSync(file)) throw new HearthError('VAULT_EXISTS', `A vault already exists at ${dir}. Unlock it, or choose another folder.`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });

    const vaultId = newId();
    const kdf = newKdfParams(options.kdfCost);
    const kek = deriveKek(options.passphrase, kdf);
    const masterKey = randomKey();
    const wrapped = wrapMasterKey(kek, masterKey, vaultId);
    wipeBytes(kek);

    const db = createDatabase(file, options);
    chmodSync(file, 0o600);
    const recordsKey = deriveSubkey(masterKey, SubkeyPurpose.records);
    migrate(db, undefined, recordsKey);
    const keys: IdentityKeys = generateIdentityKeys();
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    const identity: StoredIdentity = {
      profile,
      keys: {
        signPublicKey: hex(keys.signPublicKey),
        signSecretKey: hex(keys.signSecretKey),
        boxPublicKey: hex(keys.boxPublicKey),
        boxSecretKey: hex(keys.boxSecretKey),
      },
      device: newDeviceKeys(options.deviceName ?? defaultDeviceName()),
      createdAt: Date.now(),
    };
    wipeBytes(keys.signSecretKey);
    wipeBytes(keys.boxSecretKey);
    db.transaction(() => {
      writeMeta(db, 'format', '1');
      writeMeta(db, 'vault_id', vaultId);
      writeMeta(db, 'kdf', JSON.stringify(kdf));
      writeMeta(db, 'master_key', wrapped);
      writeMeta(db, 'master_key_check', wrappedKeyChecksum(wrapped));
      db.prepare('INSERT INTO identity (id, sealed) VALUES (1, ?)').run(sealJson(recordsKey, { kind: 'identity', id: 'self' }, identity));
    })();
    const vault = new Vault(dir, db, vaultId, masterKey, recordsKey, identity);
    vault.openOptions = { ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) };
    vault.audit.record('vault.created');
    if (options.personalWorkspace !== false) vault.workspaces.create({ name: 'Personal', kind: 'personal' }, { audit: false });
    return vault;
  }

  /**
   * Opens the vault with its passphrase, and with `proof` of the second factor once one is enrolled
   * (SECOND_FACTOR_REQUIRED without it). A wrong passphrase or factor changes nothing but the
   * failed-unlock log; a recovery code that opened the vault is destroyed.
   */
  static async unlock(dir: string, passphrase: string, options: OpenOptions = {}, proof?: SecondFactorProof): Promise<Vault> {
    return Vault.open(
      dir,
      options,
      proof,
      ({ vaultId, kdf, wrapped }, secret) => {
        const kek = deriveKek(passphrase, kdf);
        const kek2 = secret && combinedKek(kek, secret);
        const masterKey = unwrapMasterKey(kek2 ?? kek, wrapped, vaultId);
        wipeBytes(kek);
        wipeBytes(kek2);
        return masterKey;
      },
      'That passphrase does not unlock this vault. Check it and try again.',
    );
  }

  /**
   * Opens the vault with what the OS keychain kept for "stay unlocked on this device" (see
   * deviceKey()): the master key itself, or, once a second factor is enrolled, a device secret
   * that opens the vault only together with `proof`. A key that no longer fits is refused.
   */
  static async unlockWithDeviceKey(dir: string, deviceKey: Uint8Array, options: OpenOptions = {}, proof?: SecondFactorProof): Promise<Vault> {
    return Vault.open(
      dir,
      options,
      proof,
      ({ vaultId }, secret, db) => {
        if (!secret) return deviceKey.slice();
        const wrapped = readMeta(db, 'device_key');
        const kek = deviceKek(deviceKey, secret);
        const masterKey = wrapped && unwrapMasterKey(kek, wrapped, vaultId);
        wipeBytes(kek);
        return masterKey;
      },
      'The key kept on this device no longer opens this vault. Unlock with your passphrase.',
    );
  }

  /** The vault's second factor as the locked file tells it (what the page needs to ask the security key), or undefined. */
  static secondFactorOf(dir: string, options: OpenOptions = {}): SecondFactorInfo | undefined {
    const file = vaultFile(dir);
    const db = openDatabase(file, options);
    try {
      const vaultId = readMeta(db, 'vault_id')?.toString('utf8');
      return vaultId ? new SecondFactorRecords(db, vaultId).info() : undefined;
    } finally {
      db.close();
    }
  }

  private static async open(
    dir: string,
    options: OpenOptions,
    proof: SecondFactorProof | undefined,
    masterKeyFrom: (material: { vaultId: string; kdf: KdfParams; wrapped: Buffer }, secret: Uint8Array | undefined, db: Database) => Uint8Array | undefined,
    wrongKeyMessage: string,
  ): Promise<Vault> {
    await loadSodium();
    const file = vaultFile(dir);
    const db = openDatabase(file, options);
    try {
      const material = readKeyMaterial(db, file);
      assertUnlockAllowed(db);
      const factor = Vault.secondFactorSecret(db, material.vaultId, proof);
      const masterKey = masterKeyFrom(material, factor?.secret, db);
      wipeBytes(factor?.secret);
      const recordsKey = masterKey && deriveSubkey(masterKey, SubkeyPurpose.records);
      const row = db.prepare('SELECT sealed FROM identity WHERE id = 1').get() as { sealed: Buffer } | undefined;
      const identityBytes = recordsKey && row && tryOpen(recordsKey, row.sealed, associatedData({ kind: 'identity', id: 'self' }));
      if (!masterKey || !recordsKey || (row && !identityBytes)) {
        recordPendingEvent(db, 'vault.unlock_failed');
        throw new HearthError('WRONG_PASSPHRASE', wrongKeyMessage);
      }
      if (!identityBytes) throw new HearthError('VAULT_CORRUPT', `The vault file ${file} has no identity record. Restore it from a backup.`);
      migrate(db, undefined, recordsKey);
      const identity = JSON.parse(fromUtf8(identityBytes)) as StoredIdentity;
      const vault = new Vault(dir, db, material.vaultId, masterKey, recordsKey, identity);
      vault.openOptions = { ...options };
      if (!identity.device) vault.writeIdentity({ ...identity, device: newDeviceKeys(defaultDeviceName()) });
      vault.audit.absorbPending();
      if (factor?.codeId) {
        const left = new SecondFactorRecords(db, material.vaultId).consume(factor.codeId);
        vault.audit.record('recovery_code.used', `${left} left`);
        db.pragma('wal_checkpoint(TRUNCATE)');
      } else if (factor) vault.audit.record('second_factor.used', 'unlock');
      vault.audit.record('vault.unlocked');
      vault.discardStagedImports();
      return vault;
    } catch (error) {
      db.close();
      throw vaultErrorOf(error, file) ?? error;
    }
  }

  /** S when the vault has a second factor (from `proof`), undefined when it has none; refuses a missing or wrong proof. */
  private static secondFactorSecret(db: Database, vaultId: string, proof: SecondFactorProof | undefined): { secret: Uint8Array; codeId?: string } | undefined {
    const records = new SecondFactorRecords(db, vaultId);
    if (!records.info()) return undefined;
    if (!proof) {
      throw new HearthError(
        'SECOND_FACTOR_REQUIRED',
        'This vault has a second factor: unlock it with your passphrase and your security key, or with a recovery code instead of the key.',
      );
    }
    const opened = records.openSecret(proof);
    if (opened) return opened;
    recordPendingEvent(db, 'vault.unlock_failed');
    throw new HearthError(
      'WRONG_SECOND_FACTOR',
      proof.kind === 'key'
        ? 'That security key is not the one enrolled for this vault. Use the enrolled key, or a recovery code.'
        : 'That recovery code does not open this vault: it is mistyped or was used already. Check it, or use another code.',
    );
  }

  /**
   * What the OS keychain keeps for "stay unlocked"; never the passphrase. Without a second factor,
   * a copy of the master key. With one, a new random device secret, and the master key is wrapped
   * under it and the second factor's secret, so the keychain alone opens nothing.
   */
  deviceKey(): Uint8Array {
    return this.secondFactor.info() ? this.secondFactor.newDeviceKey() : this.masterKey.slice();
  }

  get isLocked(): boolean {
    return this.locked;
  }

  get profile(): Profile {
    return { ...this.identity.profile };
  }

  /** Public halves of the identity keys: what a relay may learn. */
  get publicKeys(): { signPublicKey: string; boxPublicKey: string } {
    return { signPublicKey: this.identity.keys.signPublicKey, boxPublicKey: this.identity.keys.boxPublicKey };
  }

  /** The identity's secret keys, for signing and opening envelopes; callers must not keep them. */
  identityKeys(): IdentityKeys {
    this.assertUnlocked();
    const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
    const k = this.identity.keys;
    return {
      signPublicKey: bytes(k.signPublicKey),
      signSecretKey: bytes(k.signSecretKey),
      boxPublicKey: bytes(k.boxPublicKey),
      boxSecretKey: bytes(k.boxSecretKey),
    };
  }

  /** The account id on every relay: the base64url of the account key's public half. */
  get account(): string {
    return Buffer.from(this.identity.keys.signPublicKey, 'hex').toString('base64url');
  }

  /** Changes the profile (the username too) and gives it a new version, later than any before: the relays keep the newest. */
  updateProfile(change: Partial<Profile>): Profile {
    this.assertUnlocked();
    const before = this.identity.profile;
    const renamed = change.username !== undefined && change.username !== before.username;
    const former = renamed ? [...(before.formerUsernames ?? []), before.username].filter((name) => name !== change.username).slice(-8) : before.formerUsernames;
    const profile = validateProfile({ ...before, ...change, ...(former?.length ? { formerUsernames: former } : {}) });
    const profileVersion = Math.max(this.profileVersion + 1, Date.now());
    this.writeIdentity({ ...this.identity, profile, profileVersion });
    return this.profile;
  }

  /** Whether `username` is this vault's, now or before a rename (comments carry the username they were written under). */
  isOwnUsername(username: string): boolean {
    const { profile } = this.identity;
    return username === profile.username || (profile.formerUsernames ?? []).includes(username);
  }

  /** The version of the profile (0 until it was first changed after the vault was made). */
  get profileVersion(): number {
    return this.identity.profileVersion ?? 0;
  }

  /**
   * Makes this vault a new device of an existing account (main/sync/pairing.ts): the account's
   * keys and profile replace the ones it was created with; its own device keys stay. Refused once
   * the vault has an account on a relay (it would lose it).
   */
  adoptAccount(keys: StoredIdentity['keys'], profile: Profile): void {
    this.assertUnlocked();
    if (this.syncState.relays().some((r) => r.account)) {
      throw new HearthError(
        'ALREADY_EXISTS',
        'This vault already holds an account on a relay; link a new device from a vault that has none (hearth init in another folder).',
      );
    }
    this.writeIdentity({ ...this.identity, keys: { ...keys }, profile: validateProfile(profile) });
    this.devices.forgetCached();
    this.audit.record('device.added', `this device (${this.devices.self.name})`);
  }

  private writeIdentity(identity: StoredIdentity): void {
    this.connection.write(() =>
      this.db.prepare('UPDATE identity SET sealed = ? WHERE id = 1').run(sealJson(this.recordsKey, { kind: 'identity', id: 'self' }, identity)),
    );
    this.identity = identity;
  }

  /** Whether `passphrase` opens this (unlocked) vault; a wrong one is recorded as a failed unlock with `context`. */
  verifyPassphrase(passphrase: string, context: string): boolean {
    this.assertUnlocked();
    try {
      wipeBytes(this.secondFactor.passphraseKek(passphrase, context, false));
      return true;
    } catch (error) {
      if (error instanceof HearthError && error.code === 'WRONG_PASSPHRASE') return false;
      throw error;
    }
  }

  /**
   * Rewraps the master key under a key from the new passphrase (mixed with the second factor's
   * secret when one is enrolled, which the unlocked vault holds sealed); content is not re-encrypted.
   */
  async changePassphrase(current: string, next: string, kdfCost?: { opsLimit: number; memLimit: number }): Promise<void> {
    this.assertUnlocked();
    checkPassphrase(next);
    const { kdf } = readKeyMaterial(this.db, vaultFile(this.dir));
    if (!this.verifyPassphrase(current, 'passphrase change')) {
      throw new HearthError('WRONG_PASSPHRASE', 'The current passphrase is not right; the passphrase was not changed.');
    }
    const nextKdf = newKdfParams(kdfCost ?? { opsLimit: kdf.opsLimit, memLimit: kdf.memLimit });
    const nextKek = deriveKek(next, nextKdf);
    const nextKek2 = this.secondFactor.wrappingKek(nextKek);
    const wrapped = wrapMasterKey(nextKek2, this.masterKey, this.vaultId);
    wipeBytes(nextKek);
    wipeBytes(nextKek2);
    this.connection.write(() => {
      writeMeta(this.db, 'kdf', JSON.stringify(nextKdf));
      writeMeta(this.db, 'master_key', wrapped);
      writeMeta(this.db, 'master_key_check', wrappedKeyChecksum(wrapped));
      this.audit.record('passphrase.changed');
    });
    // The old wrapping must not survive in the WAL.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Full-text search over every document title, body, tag and comment in the vault. */
  search(query: string, limit?: number): SearchHit[] {
    this.assertUnlocked();
    this.buildSearchIndex();
    return this.searchIndex.query(query, limit);
  }

  /**
   * Builds the in-memory index by decrypting every document and comment. The app calls this in
   * the background right after unlock; search() builds it on first use if it is not there yet.
   */
  buildSearchIndex(): void {
    if (this.searchIndex.built) return;
    this.searchIndex.build(this.documents.searchTexts(), this.comments.allRecords());
  }

  /** Deletes a workspace with everything in it; its key is destroyed with it. `quiet`: see WorkspaceStore.delete. */
  deleteWorkspace(idOrName: string, options: { quiet?: boolean } = {}): void {
    this.assertUnlocked();
    const { workspace } = this.workspaces.find(idOrName);
    for (const { id, workspaceId } of this.documents.allIds()) if (workspaceId === workspace.id) this.searchIndex.removeDocument(id);
    this.documents.forgetWorkspace(workspace.id);
    this.workspaces.delete(workspace.id, options);
  }

  /**
   * Removes what an import staged and never committed (it failed, or its process died): its
   * staged workspaces with all they hold, and files staged into other workspaces.
   */
  discardStagedImports(): void {
    this.assertUnlocked();
    const staged = this.workspaces.stagedIds();
    for (const id of staged) this.deleteWorkspace(id, { quiet: true });
    // Another process may still be uploading: only uploads idle this long are abandoned.
    this.files.discardIncomplete(ABANDONED_UPLOAD_MS);
    if (staged.length > 0) this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * Makes the loaded records agree with the file after a transaction that changed them was
   * rolled back (an import that failed while committing): workspaces are re-read, the given
   * documents reloaded when next used, and the search index rebuilt when next searched.
   */
  reloadAfterRollback(documentIds: Iterable<string>): void {
    this.assertUnlocked();
    this.workspaces.reload();
    this.documents.forgetDocuments(documentIds);
    this.searchIndex.clear();
  }

  /** Runs `fn` as one SQLite transaction: all of its writes land, or none do (bulk import). */
  transaction<T>(fn: () => T): T {
    this.assertUnlocked();
    return this.connection.write(fn);
  }

  /** Labels the change events of the writes `fn` makes (synchronously) with `origin`: a page's, a peer's, an import's. */
  withOrigin<T>(origin: ChangeOrigin, fn: () => T): T {
    return this.connection.withOrigin(origin, fn);
  }

  /** withOrigin() for a block that is already a try/finally: returns what restores the previous origin. */
  enterOrigin(origin: ChangeOrigin): () => void {
    return this.connection.enterOrigin(origin);
  }

  /** The vault's sync lease as `label` (the app, `hearth sync`) would hold it: one process syncs a vault at a time. */
  syncLease(label: string): SyncLease {
    this.assertUnlocked();
    return new SyncLease(this.connection, label);
  }

  /**
   * Looks for what other processes (the CLI, a script, another app window's process) wrote to
   * the vault since the last look, and tells the stores' listeners with origin 'external'. Costs
   * one pragma when nothing changed; the app calls it a few times a second while unlocked. The
   * first call only notes what is there.
   */
  pickUpExternalChanges(): void {
    this.assertUnlocked();
    const generation = this.connection.observe();
    if (generation === this.lookedAt) return;
    this.lookedAt = generation;
    this.workspaces.noticeExternalChanges();
    this.documents.noticeExternalChanges();
    this.comments.noticeExternalChanges();
    this.files.noticeExternalChanges();
    this.devices.forgetCached();
  }

  /**
   * Writes a copy of this vault to `file` with everything still sealed and no key material at
   * all: until installKeyMaterial() puts some in, no passphrase opens it. A backup streams such a
   * copy, so a copy left behind by a killed backup is ciphertext without a key.
   */
  copyWithoutKey(file: string): void {
    this.assertUnlocked();
    this.documents.flush();
    this.db.prepare('VACUUM INTO ?').run(file);
    // The same SQLite build the vault was opened with (Electron's own, under its ABI).
    const copy = new BetterSqlite3(file, this.openOptions.nativeBinding ? { nativeBinding: this.openOptions.nativeBinding } : {});
    try {
      copy.pragma('secure_delete = ON');
      copy.prepare("DELETE FROM meta WHERE key IN ('kdf', 'master_key', 'master_key_check')").run();
      // A backup is protected by its own passphrase; the second factor stays with this device's vault.
      new SecondFactorRecords(copy, this.vaultId).remove();
    } finally {
      copy.close();
    }
  }

  /** This vault's master key wrapped under `passphrase` (a new Argon2id salt, this vault's cost), for a copy made by copyWithoutKey(). */
  keyMaterialFor(passphrase: string): KeyMaterial {
    this.assertUnlocked();
    checkPassphrase(passphrase);
    const { kdf } = readKeyMaterial(this.db, vaultFile(this.dir));
    const nextKdf = newKdfParams({ opsLimit: kdf.opsLimit, memLimit: kdf.memLimit });
    const kek = deriveKek(passphrase, nextKdf);
    const wrapped = wrapMasterKey(kek, this.masterKey, this.vaultId);
    wipeBytes(kek);
    return { kdf: nextKdf, masterKey: Buffer.from(wrapped).toString('base64'), check: Buffer.from(wrappedKeyChecksum(wrapped)).toString('base64') };
  }

  /** Puts key material into a vault file made by copyWithoutKey() (a restore), so that its passphrase opens it. */
  static installKeyMaterial(file: string, material: KeyMaterial, options: OpenOptions = {}): void {
    const db = new BetterSqlite3(file, { fileMustExist: true, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
    try {
      db.transaction(() => {
        writeMeta(db, 'kdf', JSON.stringify(material.kdf));
        writeMeta(db, 'master_key', Buffer.from(material.masterKey, 'base64'));
        writeMeta(db, 'master_key_check', Buffer.from(material.check, 'base64'));
      })();
    } finally {
      db.close();
    }
  }

  /**
   * Crypto-shredding, the first half of wipe(): overwrites the wrapped master key, the identity
   * and every workspace key in place (secure_delete zeroes the old pages) and locks. What is
   * left in the file can no longer be decrypted, with or without the passphrase.
   */
  shredKeys(): void {
    this.assertUnlocked();
    this.connection.write(() => {
      writeMeta(this.db, 'master_key', randomKey());
      writeMeta(this.db, 'master_key_check', randomKey());
      this.db.prepare('DELETE FROM identity').run();
      this.db.prepare('UPDATE workspaces SET sealed_key = randomblob(length(sealed_key))').run();
      new SecondFactorRecords(this.db, this.vaultId).shred();
    });
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.lock();
  }

  /** Destroys this device's copy: keys first (shredKeys), then every file, overwritten before removal. */
  wipe(): void {
    this.shredKeys();
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      if (statSync(path).isFile()) shredFile(path);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Forgets every key and closes the file. The object is unusable afterwards. */
  lock(): void {
    if (this.locked) return;
    try {
      this.documents.flush();
    } catch {
      // What flush() writes (a due compaction, a refreshed time, the search text) is redone from
      // the chunks after the next unlock; a full disk or a busy vault must not keep the keys in memory.
    } finally {
      this.locked = true;
      this.searchIndex.clear();
      this.documents.forget();
      this.comments.forget();
      this.files.forget();
      this.workspaces.forget();
      wipeBytes(this.masterKey);
      wipeBytes(this.recordsKey);
      this.wal.stop();
      this.db.close();
    }
  }

  /**
   * What each workspace takes in the vault file, as stored (sealed) bytes: documents (their
   * chunks and comments) and files. For the privacy dashboard; reads sizes only, decrypts nothing.
   */
  storageUse(): Array<{ workspaceId: string; documents: number; documentBytes: number; files: number; fileBytes: number }> {
    this.assertUnlocked();
    const docs = this.db
      .prepare(
        `SELECT d.workspace_id AS workspaceId, COUNT(*) AS documents,
           SUM(length(d.sealed_head)
             + COALESCE((SELECT SUM(length(c.sealed)) FROM document_chunks c WHERE c.document_id = d.id), 0)
             + COALESCE((SELECT SUM(length(m.sealed)) FROM comments m WHERE m.document_id = d.id), 0)) AS documentBytes
         FROM documents d GROUP BY d.workspace_id`,
      )
      .all() as Array<{ workspaceId: string; documents: number; documentBytes: number }>;
    const files = this.db
      .prepare(
        `SELECT f.workspace_id AS workspaceId, COUNT(*) AS files,
           SUM(COALESCE((SELECT SUM(length(k.sealed)) FROM file_chunks k WHERE k.file_id = f.id), 0)) AS fileBytes
         FROM files f WHERE f.complete = 1 GROUP BY f.workspace_id`,
      )
      .all() as Array<{ workspaceId: string; files: number; fileBytes: number }>;
    return this.workspaces.list().map((w) => {
      const d = docs.find((x) => x.workspaceId === w.id);
      const f = files.find((x) => x.workspaceId === w.id);
      return { workspaceId: w.id, documents: d?.documents ?? 0, documentBytes: d?.documentBytes ?? 0, files: f?.files ?? 0, fileBytes: f?.fileBytes ?? 0 };
    });
  }

  /** Returns freed pages to the file system and flushes the WAL, so deleted bytes are gone from disk. */
  purgeFreedSpace(): void {
    this.assertUnlocked();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.exec('VACUUM');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  private assertUnlocked(): void {
    if (this.locked) throw new HearthError('VAULT_LOCKED', 'The vault is locked. Unlock it first.');
  }
}
