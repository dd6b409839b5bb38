/**
 * "Stay unlocked on this device": the vault's master key (never the passphrase), sealed by the operating
 * system's keychain through safeStorage and kept beside the vault. Where safeStorage would only
 * obfuscate (Linux without a secret service: the "basic_text" backend), it counts as unavailable.
 */
import { safeStorage } from 'electron';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UnlockKeeper } from '../app/session.ts';

export const KEYCHAIN_FILE_NAME = 'stay-unlocked.bin';

export class SafeStorageKeeper implements UnlockKeeper {
  private readonly file: string;

  constructor(vaultDir: string) {
    this.file = join(vaultDir, KEYCHAIN_FILE_NAME);
  }

  get available(): boolean {
    if (!safeStorage.isEncryptionAvailable()) return false;
    return process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text';
  }

  store(secret: string): void {
    if (!this.available) return;
    writeFileSync(this.file, safeStorage.encryptString(secret), { mode: 0o600 });
  }

  retrieve(): string | undefined {
    if (!this.available || !existsSync(this.file)) return undefined;
    try {
      return safeStorage.decryptString(readFileSync(this.file));
    } catch {
      // Another user's or machine's keychain: it cannot open this, so ask for the passphrase.
      return undefined;
    }
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }
}
