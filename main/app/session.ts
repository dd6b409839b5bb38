/**
 * The app's one session over one vault folder: whether a vault exists, the unlocked Vault (or
 * none), settings, uploads and reads in progress, auto-lock after idle time, and the pages
 * (connections) that receive events. Electron and browser mode each put a transport in front of
 * it; neither knows the other exists.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ApiEvent, ApiEvents, LocalCopy, Profile, Settings, SyncWarning, UnlockMethod, VaultState } from '../../common/api/contract.ts';
import { fromBase64Url, newId, toBase64Url } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';
import { SyncEngine, type SyncEngineOptions } from '../sync/engine.ts';
import type { AccountDeletionResult } from '../sync/account.ts';
import { deleteAccount as deleteAccountEverywhere, type RelaySkipping } from '../usecases/account.ts';
import { checkUsername, type Unlocked } from '../usecases/unlocked.ts';
import { keepRetention } from './retention-timer.ts';
import type { OpenOptions } from '../vault/database.ts';
import type { FileInfo } from '../vault/files.ts';
import type { SecondFactorProof } from '../vault/second-factor.ts';
import { Vault } from '../vault/vault.ts';
import { restoreBackup, type BackupProgress } from '../portability/backup.ts';
import { besideVaultDir, defaultDataDir } from './data-folder.ts';
import { checkChosen, eraseCopies as eraseChosenCopies, localCopies } from './local-copies.ts';
import { describeSettingsChange } from './settings-change.ts';
import { FileReadCursor } from './file-read-cursor.ts';
import { shareVault } from './shared-vault.ts';
import { Upload } from './uploads.ts';

export { READ_CHUNK_BYTES } from './file-read-cursor.ts';

export const SETTINGS_FILE_NAME = 'settings.json';
export const DEFAULT_SETTINGS: Settings = { autoLockMinutes: 15, theme: 'system', stayUnlocked: false };
const MAX_UPLOADS_PER_CONNECTION = 8;
const MAX_READS_PER_CONNECTION = 8;
/** How many verification warnings the session keeps for pages that connect later. */
const MAX_WARNINGS = 100;

/**
 * Keeps what it takes to unlock this vault in the operating system's keychain, for "stay
 * unlocked on this device". Electron supplies one over safeStorage; browser mode has none.
 */
export interface UnlockKeeper {
  readonly available: boolean;
  store(secret: string): void;
  retrieve(): string | undefined;
  clear(): void;
}

export type EventSink = <E extends ApiEvent>(event: E, payload: ApiEvents[E]) => void;

export interface SessionOptions {
  vaultDir: string;
  /** Argon2id cost for new vaults and passphrase changes; tests use the minimum. */
  kdfCost?: { opsLimit: number; memLimit: number };
  /** How Electron loads its own better-sqlite3 build. */
  openOptions?: OpenOptions;
  unlockKeeper?: UnlockKeeper;
  /** Length of an auto-lock "minute"; tests shorten it. */
  minuteMs?: number;
  /** Where exports, backups and audit exports are written (default: Documents/Hearth in the home folder). */
  dataDir?: string;
  /** Options for the sync engine of the unlocked vault (tests shorten its backoff). */
  sync?: SyncEngineOptions;
  /**
   * How often team workspaces' membership logs are checked for changes made by others (a role
   * change or a removal reaches this app within this time). 0 turns the check off.
   */
  membershipPollMs?: number;
  /** How often the vault looks for what other processes wrote to it (shared-vault.ts's EXTERNAL_POLL_MS by default; 0: once). */
  externalPollMs?: number;
}

const storedSettings = z.object({
  autoLockMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .optional(),
  theme: z.enum(['system', 'light', 'dark']).optional(),
  stayUnlocked: z.boolean().optional(),
  showComments: z.boolean().optional(),
});

export class Session {
  readonly vaultDir: string;
  readonly dataDir: string;
  private vault: Vault | undefined;
  private unlocking: Promise<unknown> | undefined;
  private settings: Settings;
  private readonly sinks = new Map<number, EventSink>();
  private nextConnectionId = 1;
  private readonly uploads = new Map<string, Upload>();
  private readonly reads = new Map<string, FileReadCursor>();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly minuteMs: number;
  private engine: SyncEngine | undefined;
  private engineOff: Array<() => void> = [];
  private warnings: SyncWarning[] = [];
  /** Roles per team workspace as last told to the pages, to notice when a peer changes one. */
  private knownRoles = '';
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private polling = false;
  /** Stops looking for other processes' changes and gives the sync lease back (see shareVault). */
  private stopSharing: (() => void) | undefined;

  constructor(private readonly options: SessionOptions) {
    this.vaultDir = options.vaultDir;
    this.dataDir = options.dataDir ?? defaultDataDir();
    this.minuteMs = options.minuteMs ?? 60_000;
    this.settings = this.readSettings();
  }

  get state(): VaultState {
    if (this.vault) return 'unlocked';
    return Vault.exists(this.vaultDir) ? 'locked' : 'no-vault';
  }

  get profile(): Profile | null {
    return this.vault ? this.vault.profile : null;
  }

  /** The sync engine of the unlocked vault (undefined while locked). */
  get sync(): SyncEngine | undefined {
    return this.engine;
  }

  /** The sync engine, or the error that tells the page to unlock first. */
  requireSync(): SyncEngine {
    this.requireVault();
    return this.engine!;
  }

  /** Verification warnings since unlock, newest last. */
  syncWarnings(): SyncWarning[] {
    return [...this.warnings];
  }

  /**
   * Runs a write the page on `connectionId` asked for: its change events carry that page as
   * their origin, so the session's own listeners leave them to the handler, which tells the other
   * pages and leaves out the one that made them.
   */
  pageWrite<T>(connectionId: number, fn: () => T): T {
    return this.requireVault().withOrigin({ kind: 'page', connectionId }, fn);
  }

  /** Tells the pages when a team workspace's roles changed (a peer changed mine, I was added or removed). */
  checkRoles(): void {
    const vault = this.vault;
    const engine = this.engine;
    if (!vault || !engine) return;
    const roles = vault.workspaces
      .list()
      .filter((w) => w.kind === 'team')
      .map((w) => `${w.id}:${safely(() => engine.roleIn(w.id)) ?? '-'}`)
      .join(',');
    if (roles === this.knownRoles) return;
    this.knownRoles = roles;
    this.emit('workspacesChanged', {});
  }

  /** The unlocked vault, or the error that tells the page what to do first. */
  requireVault(): Vault {
    if (this.vault) return this.vault;
    if (!Vault.exists(this.vaultDir)) throw new HearthError('VAULT_NOT_FOUND', 'There is no vault yet. Create one first.');
    throw new HearthError('VAULT_LOCKED', 'The vault is locked. Unlock it with your passphrase first.');
  }

  /** A page connects; it receives events until it disconnects. */
  connect(sink: EventSink): number {
    const id = this.nextConnectionId++;
    this.sinks.set(id, sink);
    return id;
  }

  disconnect(connectionId: number): void {
    this.sinks.delete(connectionId);
    for (const [id, upload] of this.uploads) {
      if (upload.ownerId === connectionId) {
        upload.abort();
        this.uploads.delete(id);
      }
    }
    for (const [key, cursor] of this.reads) {
      if (key.startsWith(`${connectionId}:`)) {
        cursor.close();
        this.reads.delete(key);
      }
    }
  }

  /** Sends an event to every connected page except `except` (the page that caused it). */
  emit<E extends ApiEvent>(event: E, payload: ApiEvents[E], except?: number): void {
    for (const [id, sink] of this.sinks) {
      if (id === except) continue;
      try {
        sink(event, payload);
      } catch {
        // One broken page must not keep the others from hearing about the change.
      }
    }
  }

  /** Any call through the door counts as activity and pushes auto-lock back. */
  touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const minutes = this.settings.autoLockMinutes;
    if (!this.vault || minutes === 0) return;
    this.idleTimer = setTimeout(() => void this.lock('idle'), minutes * this.minuteMs);
    this.idleTimer.unref?.();
  }

  async createVault(input: { passphrase: string; username: string; displayName: string; avatar?: string }): Promise<Profile> {
    if (this.state !== 'no-vault') throw new HearthError('VAULT_EXISTS', `A vault already exists in ${this.vaultDir}. Unlock it instead.`);
    return this.exclusive(async () => {
      const profile = { username: input.username, displayName: input.displayName, ...(input.avatar === undefined ? {} : { avatar: input.avatar }) };
      const vault = await Vault.create(this.vaultDir, {
        passphrase: input.passphrase,
        profile,
        ...(this.options.kdfCost ? { kdfCost: this.options.kdfCost } : {}),
        ...this.options.openOptions,
      });
      this.opened(vault);
      return vault.profile;
    });
  }

  /**
   * Runs `work` on the unlocked vault with its live sync stopped and a sync engine of its own,
   * then starts live sync again: linking makes the vault another account, and an engine is built
   * for one account.
   */
  async withOwnEngine<T>(work: (u: Unlocked) => Promise<T>): Promise<T> {
    const vault = this.requireVault();
    await this.stopSync();
    const engine = new SyncEngine(vault, this.options.sync);
    try {
      return await work({ vault, engine });
    } finally {
      await engine.close().catch(() => undefined);
      if (this.vault === vault) this.startSync(vault);
    }
  }

  /** Unlocks with the passphrase, and `proof` of the second factor when the vault has one. */
  async unlock(passphrase: string, proof?: SecondFactorProof): Promise<Profile> {
    // Already unlocked (by another page): the passphrase (and the second factor) must still be
    // right, so that an unlock screen never opens with a wrong one.
    if (this.vault) return this.checkedProfile(this.vault, passphrase, proof);
    if (!Vault.exists(this.vaultDir)) throw new HearthError('VAULT_NOT_FOUND', 'There is no vault yet. Create one first.');
    return this.exclusive(async () => {
      if (this.vault) return this.checkedProfile(this.vault, passphrase, proof);
      const vault = await Vault.unlock(this.vaultDir, passphrase, this.options.openOptions, proof);
      this.opened(vault);
      return vault.profile;
    });
  }

  /** How the locked vault unlocks: its security keys, and whether this device needs no passphrase (stay unlocked). */
  unlockMethod(): UnlockMethod {
    const info = this.state === 'no-vault' ? undefined : Vault.secondFactorOf(this.vaultDir, this.options.openOptions);
    const keeper = this.options.unlockKeeper;
    return {
      securityKey: info ? { prfSalt: info.prfSalt, credentialIds: info.credentials.map((c) => c.id) } : null,
      keyOnly: Boolean(info && this.settings.stayUnlocked && keeper?.available && keeper.retrieve() !== undefined),
    };
  }

  /** "Stay unlocked" with a second factor: the keychain's device secret opens the vault together with the security key. */
  async unlockWithSecurityKey(proof: SecondFactorProof): Promise<Profile> {
    const secret = this.settings.stayUnlocked && this.options.unlockKeeper?.available ? this.options.unlockKeeper.retrieve() : undefined;
    if (secret === undefined) throw new HearthError('UNAVAILABLE', 'This device keeps no key for Hearth: unlock with your passphrase and your security key.');
    return this.exclusive(async () => {
      if (this.vault) {
        this.vault.secondFactor.check(proof, 'unlock from another page');
        return this.vault.profile;
      }
      const vault = await Vault.unlockWithDeviceKey(this.vaultDir, fromBase64Url(secret), this.options.openOptions, proof);
      this.opened(vault);
      return vault.profile;
    });
  }

  /** Gives the keychain what now opens the vault with "stay unlocked" (after the second factor changed). */
  refreshKeychain(): void {
    const keeper = this.options.unlockKeeper;
    if (this.vault && this.settings.stayUnlocked && keeper?.available) keeper.store(toBase64Url(this.vault.deviceKey()));
  }

  /**
   * Unlocks from the keychain when the user chose to stay unlocked on this device. The keychain
   * holds the vault's master key (Vault.deviceKey), never the passphrase.
   */
  async resume(): Promise<boolean> {
    const keeper = this.options.unlockKeeper;
    if (this.vault || !this.settings.stayUnlocked || !keeper?.available || this.state !== 'locked') return false;
    // With a second factor the keychain's secret needs the security key too: the page asks for it (unlockWithSecurityKey).
    if (Vault.secondFactorOf(this.vaultDir, this.options.openOptions)) return false;
    const secret = keeper.retrieve();
    if (secret === undefined) return false;
    return this.exclusive(async () => {
      if (this.vault) return true;
      try {
        const vault = await Vault.unlockWithDeviceKey(this.vaultDir, fromBase64Url(secret), this.options.openOptions);
        this.opened(vault);
        return true;
      } catch {
        // A key from another vault, or one a wipe or restore made stale: forget it, ask the user.
        keeper.clear();
        return false;
      }
    });
  }

  /** `finish` replaces the final vault.lock() and 'locked' event (wipe() uses it to shred instead). */
  private checkedProfile(vault: Vault, passphrase: string, proof: SecondFactorProof | undefined): Profile {
    if (!vault.verifyPassphrase(passphrase, 'unlock from another page'))
      throw new HearthError('WRONG_PASSPHRASE', 'That passphrase does not unlock this vault. Check it and try again.');
    vault.secondFactor.check(proof, 'unlock from another page');
    return vault.profile;
  }

  async lock(reason: 'idle' | 'user', finish?: (vault: Vault) => void): Promise<void> {
    const vault = this.vault;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (!vault) return;
    this.vault = undefined;
    await this.stopSync();
    const pending = [...this.uploads.values()];
    this.uploads.clear();
    for (const upload of pending) upload.abort(new HearthError('VAULT_LOCKED', 'The vault locked during the upload. Unlock it and upload the file again.'));
    await Promise.all(pending.map((upload) => upload.whenSettled()));
    for (const cursor of this.reads.values()) cursor.close();
    this.reads.clear();
    if (finish) return finish(vault);
    safely(() => vault.audit.record(reason === 'idle' ? 'vault.auto_locked' : 'vault.locked'));
    vault.lock();
    this.emit('locked', { reason });
  }

  /** The unlocked vault if `confirm` is its username exactly as shown (case-sensitive); else nothing changes. */
  checkUsername(confirm: string): Vault {
    return checkUsername(this.requireVault(), confirm, 'changed');
  }

  /**
   * Delete account: after the exact username check (case-sensitive; a wrong one changes nothing),
   * the account is deleted on every relay this vault is registered on (SyncEngine.deleteAccount:
   * last changes sent, spaces that outlive it left with a signed entry, then the relay's deletion),
   * then this device is wiped (wipe()) and every page hears `wiped` and goes back to first run. If
   * a relay cannot be reached, nothing is deleted anywhere and the vault stays as it was (unless
   * it may be skipped, for a relay that is gone for good: see main/usecases/account.ts). With a second
   * factor enrolled, `proof` must confirm it first.
   */
  async deleteAccount(
    confirmUsername: string,
    skipping: RelaySkipping = {},
    proof?: SecondFactorProof,
    eraseCopies: readonly string[] = [],
  ): Promise<AccountDeletionResult & { copiesLeft: LocalCopy[] }> {
    const unlocked = { vault: this.requireVault(), engine: this.requireSync() };
    // Checked before anything is deleted anywhere: only copies this app wrote can be erased.
    this.copiesToErase(this.requireVault(), eraseCopies);
    let copiesLeft: LocalCopy[] = [];
    const result = await deleteAccountEverywhere(
      unlocked,
      confirmUsername,
      skipping,
      async () => void (copiesLeft = await this.wipe(confirmUsername, 'account-deleted', eraseCopies)),
      proof,
    );
    return { ...result, copiesLeft };
  }

  /** The exports, backups and audit exports this app wrote that are still on disk (main/app/local-copies.ts). */
  localCopies(): LocalCopy[] {
    return localCopies(this.requireVault(), this.dataDir);
  }

  /** The copies found now, after checking that each of `chosen` is one of them. */
  private copiesToErase(vault: Vault, chosen: readonly string[]): LocalCopy[] {
    const found = localCopies(vault, this.dataDir);
    checkChosen(found, chosen);
    return found;
  }

  /**
   * Wipe this device: after the exact username check, everything that uses the vault stops (sync,
   * uploads, reads), the key material is destroyed first, then the vault files (Vault.wipe); the
   * keychain forgets its key and every page hears `wiped` and goes back to first run. The copies
   * named in `eraseCopies` (exports and backups this app wrote) are erased first; returns the
   * copies that stay on this computer.
   */
  async wipe(confirmUsername: string, reason: 'wipe' | 'account-deleted' = 'wipe', eraseCopies: readonly string[] = []): Promise<LocalCopy[]> {
    const found = this.copiesToErase(this.checkUsername(confirmUsername), eraseCopies);
    const { remaining } = eraseChosenCopies(found, eraseCopies);
    await this.exclusive(() =>
      this.lock('user', (locked) => {
        locked.wipe();
        this.options.unlockKeeper?.clear();
        this.settings = { ...DEFAULT_SETTINGS };
      }),
    );
    this.emit('wiped', { reason });
    return remaining;
  }

  /**
   * With a vault on this device: restores a backup into a new folder next to it (never over it),
   * closed again; the person opens it by starting Hearth with --vault.
   */
  async restoreBackupBeside(
    file: string,
    passphrase: string,
    newPassphrase: string | undefined,
    onProgress?: (p: BackupProgress) => void,
  ): Promise<{ vaultDir: string; profile: Profile }> {
    const vaultDir = besideVaultDir(this.vaultDir);
    const restored = await restoreBackup(file, passphrase, vaultDir, newPassphrase ?? passphrase, onProgress, this.options.openOptions);
    const profile = restored.profile;
    restored.lock();
    return { vaultDir, profile };
  }

  /** The same vault with a new sync engine: after recovery (main/app/recovery.ts) made it another account, for which an engine is built. */
  async reopenSync(): Promise<void> {
    this.requireVault();
    await this.lock('user', (same) => this.opened(same));
  }

  /**
   * With no vault on this device: restores an encrypted backup as this device's vault and opens it.
   * `newPassphrase` becomes the vault's passphrase (the backup passphrase when absent).
   */
  async restoreBackup(file: string, passphrase: string, newPassphrase: string | undefined, onProgress?: (p: BackupProgress) => void): Promise<Profile> {
    if (this.state !== 'no-vault')
      throw new HearthError(
        'VAULT_EXISTS',
        'This device already has a vault; a backup is restored only where there is none. Wipe this device first (Settings → Danger Zone).',
      );
    return this.exclusive(async () => {
      const vault = await restoreBackup(file, passphrase, this.vaultDir, newPassphrase ?? passphrase, onProgress, this.options.openOptions);
      this.opened(vault);
      return vault.profile;
    });
  }

  async changePassphrase(current: string, next: string): Promise<void> {
    const vault = this.requireVault();
    // The keychain keeps the master key, which a passphrase change leaves as it is.
    await vault.changePassphrase(current, next, this.options.kdfCost);
  }

  getSettings(): Settings {
    return { ...this.settings };
  }

  updateSettings(change: Partial<Settings>): Settings {
    const keeper = this.options.unlockKeeper;
    if (change.stayUnlocked === true && !keeper?.available) {
      throw new HearthError(
        'UNAVAILABLE',
        'Staying unlocked needs the system keychain, which this mode of Hearth cannot use. Run the desktop app to turn it on.',
      );
    }
    if (change.stayUnlocked === false) keeper?.clear();
    if (change.stayUnlocked === true && this.vault) keeper!.store(toBase64Url(this.vault.deviceKey()));
    const next: Settings = { ...this.settings };
    for (const [key, value] of Object.entries(change)) if (value !== undefined) Object.assign(next, { [key]: value });
    const changed = describeSettingsChange(this.settings, next);
    if (changed && this.vault) this.vault.audit.record('settings.changed', changed);
    this.settings = next;
    mkdirSync(this.vaultDir, { recursive: true, mode: 0o700 });
    const file = join(this.vaultDir, SETTINGS_FILE_NAME);
    writeFileSync(`${file}.tmp`, JSON.stringify(next, null, 2), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    this.touch();
    return this.getSettings();
  }

  async beginUpload(ownerId: number, workspaceId: string, file: { name: string; type: string; size: number }): Promise<string> {
    const vault = this.requireVault();
    vault.workspaces.find(workspaceId);
    if ([...this.uploads.values()].filter((u) => u.ownerId === ownerId).length >= MAX_UPLOADS_PER_CONNECTION) {
      throw new HearthError('LIMIT_EXCEEDED', `At most ${MAX_UPLOADS_PER_CONNECTION} uploads can run at once. Wait for one to finish.`);
    }
    const id = newId();
    const upload = new Upload(id, ownerId, file.size, {
      add: (source) =>
        vault.files.add(workspaceId, { name: file.name, ...(file.type ? { type: file.type } : {}), source, origin: { kind: 'page', connectionId: ownerId } }),
    });
    this.uploads.set(id, upload);
    return id;
  }

  async uploadChunk(ownerId: number, uploadId: string, bytes: Uint8Array): Promise<number> {
    const upload = this.upload(ownerId, uploadId);
    try {
      return await upload.chunk(bytes);
    } catch (error) {
      this.uploads.delete(uploadId);
      throw error;
    }
  }

  async finishUpload(ownerId: number, uploadId: string): Promise<FileInfo> {
    const upload = this.upload(ownerId, uploadId);
    this.uploads.delete(uploadId);
    return upload.finish();
  }

  async readFile(ownerId: number, fileId: string, offset: number): Promise<{ bytes: Uint8Array; done: boolean }> {
    const vault = this.requireVault();
    const key = `${ownerId}:${fileId}`;
    let cursor = this.reads.get(key);
    if (!cursor || !cursor.canServe(offset)) {
      cursor?.close();
      const info = vault.files.info(fileId);
      if (offset > info.size) throw new HearthError('BAD_REQUEST', `Offset ${offset} is past the end of the file (${info.size} bytes).`);
      cursor = new FileReadCursor(vault.files.read(fileId), info.size);
      this.reads.delete(key);
      const own = [...this.reads.keys()].filter((k) => k.startsWith(`${ownerId}:`));
      if (own.length >= MAX_READS_PER_CONNECTION) {
        this.reads.get(own[0]!)?.close();
        this.reads.delete(own[0]!);
      }
      this.reads.set(key, cursor);
    }
    if (offset > cursor.size) throw new HearthError('BAD_REQUEST', `Offset ${offset} is past the end of the file (${cursor.size} bytes).`);
    try {
      const chunk = await cursor.read(offset);
      if (chunk.done) this.reads.delete(key);
      return chunk;
    } catch (error) {
      this.reads.delete(key);
      throw error;
    }
  }

  /** Locks and lets go of every page: the app is quitting. */
  async close(): Promise<void> {
    await this.lock('user');
    this.sinks.clear();
  }

  private upload(ownerId: number, uploadId: string): Upload {
    const upload = this.uploads.get(uploadId);
    // Someone else's upload id is as unknown to this page as a made-up one.
    if (!upload || upload.ownerId !== ownerId) throw new HearthError('NOT_FOUND', `No upload ${uploadId} in progress. Start it with beginUpload.`);
    return upload;
  }

  private opened(vault: Vault): void {
    this.vault = vault;
    this.refreshKeychain();
    this.touch();
    this.startSync(vault);
    // Search should be ready by the time the user types; building it decrypts everything once.
    setImmediate(() => {
      if (this.vault === vault) {
        try {
          vault.buildSearchIndex();
        } catch {
          // search() builds it on first use and reports any error there.
        }
      }
    });
  }

  /**
   * The unlocked vault's sync engine: live sync with backoff for team workspaces (personal ones
   * never cause a connection), its status and warnings passed on to the pages, and changes from
   * peers announced as documentChanged so open editors update as they type.
   */
  private startSync(vault: Vault): void {
    const engine = new SyncEngine(vault, this.options.sync);
    this.engine = engine;
    /** The document the vault's listener just announced while a peer's change was applied. */
    let announced: string | undefined;
    this.engineOff = [
      engine.onStatus((status) => this.emit('syncStatus', status)),
      // Roles change only with a space's verified membership: the pages hear of it then, not on every status.
      engine.onMembershipChanged(() => this.checkRoles()),
      engine.onWarning((warning) => {
        this.warnings.push(warning);
        if (this.warnings.length > MAX_WARNINGS) this.warnings.splice(0, this.warnings.length - MAX_WARNINGS);
        this.emit('syncWarning', warning);
      }),
      vault.documents.changed.on(({ documentId, changes, origin }) => {
        // Pages' own edits are announced by their handlers; everything else (peers, imports, other processes) here.
        if (origin.kind === 'page' || this.vault !== vault) return;
        const summary = safely(() => vault.documents.summary(documentId));
        if (!summary) return; // deleted meanwhile: nothing left to show
        announced = documentId;
        this.emit('documentChanged', { documentId, changes: [...changes], summary });
      }),
      // What other processes changed besides document text: pages reload the list, the comments, the workspaces.
      // A document gone has no summary to carry: pages reload their lists, as after a peer's deletion
      // (another process's, or sync's own: a shared document whose sharer deleted it).
      vault.documents.deleted.on(({ origin }) => origin.kind !== 'page' && this.emit('workspacesChanged', {})),
      // A new generation (history erased here, by a member, or by another process): an open replica of the old one cannot take its changes.
      vault.documents.replaced.on(({ documentId }) => {
        const summary = safely(() => vault.documents.summary(documentId));
        if (summary && this.vault === vault) this.emit('documentReplaced', { documentId, summary });
      }),
      vault.comments.changed.on(({ documentId, origin }) => {
        if (origin.kind !== 'external') return;
        const summary = safely(() => vault.documents.summary(documentId));
        if (summary) this.emit('documentChanged', { documentId, changes: [], summary });
      }),
      vault.workspaces.changed.on(({ origin }) => origin.kind === 'external' && this.emit('workspacesChanged', {})),
      engine.onPresence((documentId, entries) => this.emit('presence', { documentId, entries })),
      engine.onRemote(({ documentId, kind }) => {
        if (kind === 'index') this.emit('workspacesChanged', {});
        // Comments, and documents new to this vault (adopted whole), have no change bytes for an open replica; pages reload them.
        else if (announced !== documentId) {
          const summary = safely(() => vault.documents.summary(documentId));
          if (summary) this.emit('documentChanged', { documentId, changes: [], summary });
        }
        announced = undefined;
      }),
    ];
    this.knownRoles = '';
    this.checkRoles();
    this.engineOff.push(keepRetention(vault, engine));
    this.stopSharing = shareVault(vault, engine, { ...(this.options.externalPollMs === undefined ? {} : { externalPollMs: this.options.externalPollMs }) });
    const pollMs = this.options.membershipPollMs ?? 5000;
    if (pollMs > 0) {
      this.pollTimer = setInterval(() => void this.pollMembership(engine), pollMs);
      this.pollTimer.unref?.();
    }
  }

  /** Stops live sync and closes the relay connections; what was not sent waits in the sealed outbox. */
  private async stopSync(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    const stopSharing = this.stopSharing;
    this.stopSharing = undefined;
    for (const off of this.engineOff.splice(0)) off();
    this.warnings = [];
    this.knownRoles = '';
    await engine?.close().catch(() => undefined);
    stopSharing?.();
  }

  /** Asks the relay for membership changes of each team workspace that is syncing (the relay does not push them). */
  private async pollMembership(engine: SyncEngine): Promise<void> {
    if (this.polling || this.engine !== engine) return;
    this.polling = true;
    try {
      for (const status of engine.status()) {
        if (this.engine !== engine) return;
        if (status.state === 'paused' || status.state === 'offline') continue;
        await engine.checkMembership(status.workspaceId).catch(() => undefined);
      }
      if (this.engine === engine) this.checkRoles();
    } catch {
      // The next round tries again; sync status shows what is wrong.
    } finally {
      this.polling = false;
    }
  }

  /** One create or unlock at a time: a second one waits for the first, then decides. */
  private async exclusive<T>(run: () => Promise<T>): Promise<T> {
    while (this.unlocking) await this.unlocking.catch(() => undefined);
    const running = run();
    this.unlocking = running;
    try {
      return await running;
    } finally {
      this.unlocking = undefined;
    }
  }

  private readSettings(): Settings {
    const file = join(this.vaultDir, SETTINGS_FILE_NAME);
    if (!existsSync(file)) return { ...DEFAULT_SETTINGS };
    try {
      const stored = storedSettings.parse(JSON.parse(readFileSync(file, 'utf8')));
      return { ...DEFAULT_SETTINGS, ...Object.fromEntries(Object.entries(stored).filter(([, v]) => v !== undefined)) };
    } catch {
      // Settings hold nothing precious; a damaged file falls back to the defaults.
      return { ...DEFAULT_SETTINGS };
    }
  }
}

function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
