/**
 * The app's one session over one vault folder: whether a vault exists, the unlocked Vault (or
 * none), settings, uploads and reads in progress, auto-lock after idle time, and the pages
 * (connections) that receive events. Electron and browser mode each put a transport in front of
 * it; neither knows the other exists.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ApiEvent, ApiEvents, Profile, Settings, VaultState } from '../../common/api/contract.ts';
import { fromBase64Url, newId, toBase64Url } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';
import type { OpenOptions } from '../vault/database.ts';
import type { FileInfo } from '../vault/files.ts';
import { Vault } from '../vault/vault.ts';
import { Upload } from './uploads.ts';

export const SETTINGS_FILE_NAME = 'settings.json';
export const DEFAULT_SETTINGS: Settings = { autoLockMinutes: 15, theme: 'system', stayUnlocked: false };
/** How much of a file one readFile call returns: the vault's own chunk size. */
export const READ_CHUNK_BYTES = 1024 * 1024;
const MAX_UPLOADS_PER_CONNECTION = 8;
const MAX_READS_PER_CONNECTION = 8;

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
}

const storedSettings = z.object({
  autoLockMinutes: z.number().int().min(0).max(24 * 60).optional(),
  theme: z.enum(['system', 'light', 'dark']).optional(),
  stayUnlocked: z.boolean().optional(),
});

/** Reads the file position by position, so reading a file front to back decrypts each chunk once. */
class FileReadCursor {
  private buffer: Uint8Array = new Uint8Array(0);
  /** File offset of buffer[0]. */
  private position = 0;
  private exhausted = false;

  constructor(
    private readonly chunks: AsyncGenerator<Uint8Array>,
    readonly size: number,
  ) {}

  canServe(offset: number): boolean {
    return offset >= this.position;
  }

  async read(offset: number): Promise<{ bytes: Uint8Array; done: boolean }> {
    while (!this.exhausted && this.position + this.buffer.length <= offset) {
      this.position += this.buffer.length;
      const next = await this.chunks.next();
      if (next.done) this.exhausted = true;
      this.buffer = next.done ? new Uint8Array(0) : next.value;
    }
    const start = offset - this.position;
    const view: Uint8Array = this.exhausted ? new Uint8Array(0) : this.buffer.subarray(start, start + READ_CHUNK_BYTES);
    const done = offset + view.length >= this.size;
    // Draining runs the vault's whole-file hash check before the page is told it has it all.
    if (done) while (!this.exhausted) this.exhausted = (await this.chunks.next()).done === true;
    // A copy when partial: structured clone (Electron IPC) would otherwise send the whole chunk.
    return { bytes: view.length === this.buffer.length ? view : view.slice(), done };
  }

  close(): void {
    void this.chunks.return(undefined);
  }
}

export class Session {
  readonly vaultDir: string;
  private vault: Vault | undefined;
  private unlocking: Promise<unknown> | undefined;
  private settings: Settings;
  private readonly sinks = new Map<number, EventSink>();
  private nextConnectionId = 1;
  private readonly uploads = new Map<string, Upload>();
  private readonly reads = new Map<string, FileReadCursor>();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly minuteMs: number;

  constructor(private readonly options: SessionOptions) {
    this.vaultDir = options.vaultDir;
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

  async unlock(passphrase: string): Promise<Profile> {
    if (this.vault) return this.vault.profile;
    if (!Vault.exists(this.vaultDir)) throw new HearthError('VAULT_NOT_FOUND', 'There is no vault yet. Create one first.');
    return this.exclusive(async () => {
      if (this.vault) return this.vault.profile;
      const vault = await Vault.unlock(this.vaultDir, passphrase, this.options.openOptions);
      this.opened(vault);
      return vault.profile;
    });
  }

  /**
   * Unlocks from the keychain when the user chose to stay unlocked on this device. The keychain
   * holds the vault's master key (Vault.deviceKey), never the passphrase.
   */
  async resume(): Promise<boolean> {
    const keeper = this.options.unlockKeeper;
    if (this.vault || !this.settings.stayUnlocked || !keeper?.available || this.state !== 'locked') return false;
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

  async lock(reason: 'idle' | 'user'): Promise<void> {
    const vault = this.vault;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (!vault) return;
    this.vault = undefined;
    const pending = [...this.uploads.values()];
    this.uploads.clear();
    for (const upload of pending) upload.abort(new HearthError('VAULT_LOCKED', 'The vault locked during the upload. Unlock it and upload the file again.'));
    await Promise.all(pending.map((upload) => upload.whenSettled()));
    for (const cursor of this.reads.values()) cursor.close();
    this.reads.clear();
    vault.lock();
    this.emit('locked', { reason });
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
      throw new HearthError('UNAVAILABLE', 'Staying unlocked needs the system keychain, which this mode of Hearth cannot use. Run the desktop app to turn it on.');
    }
    if (change.stayUnlocked === false) keeper?.clear();
    if (change.stayUnlocked === true && this.vault) keeper!.store(toBase64Url(this.vault.deviceKey()));
    const next: Settings = { ...this.settings };
    for (const [key, value] of Object.entries(change)) if (value !== undefined) Object.assign(next, { [key]: value });
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
      add: (source) => vault.files.add(workspaceId, { name: file.name, ...(file.type ? { type: file.type } : {}), source }),
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
    const keeper = this.options.unlockKeeper;
    if (this.settings.stayUnlocked && keeper?.available) keeper.store(toBase64Url(vault.deviceKey()));
    this.touch();
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
