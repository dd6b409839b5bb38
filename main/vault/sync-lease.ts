/**
 * One process syncs a vault at a time. Two processes pulling the same relay log into one vault
 * (the app's live sync and `hearth sync`) would each apply what the other had just applied and
 * take it for a relay replaying changes; pushing the same outbox twice sends changes twice. The
 * process that syncs holds a lease, a row in the vault's unsealed `meta` table naming who holds
 * it (the app or `hearth sync`, its process id) until when; it renews it while it syncs and a
 * lease that ran out (a process that crashed) is free. Other processes still read and write the
 * vault; only syncing waits for the lease.
 */
import { newId } from '../../common/crypto/sodium.ts';
import type { VaultConnection } from './connection.ts';

/** How long a lease lasts without renewal; its holder renews it every LEASE_RENEW_MS. */
export const LEASE_MS = 15_000;
export const LEASE_RENEW_MS = 5_000;

export interface LeaseHolder {
  /** Who holds it, for messages: 'the Hearth app' or '`hearth sync`'. */
  label: string;
  pid: number;
  until: number;
}

interface StoredLease extends LeaseHolder {
  token: string;
}

const KEY = 'sync_lease';

export class SyncLease {
  private readonly token = newId();

  constructor(
    private readonly connection: VaultConnection,
    private readonly label: string,
  ) {}

  /** Takes the lease, or renews it; returns who holds it instead when someone else does. */
  take(now = Date.now()): LeaseHolder | undefined {
    return this.connection.write(() => {
      const held = this.stored();
      if (held && held.token !== this.token && held.until > now) return { label: held.label, pid: held.pid, until: held.until };
      const lease: StoredLease = { token: this.token, label: this.label, pid: process.pid, until: now + LEASE_MS };
      this.connection
        .sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
        .run(KEY, Buffer.from(JSON.stringify(lease)));
      return undefined;
    });
  }

  /** Gives the lease up, if this one still holds it. */
  release(): void {
    this.connection.write(() => {
      if (this.stored()?.token === this.token) this.connection.sql('DELETE FROM meta WHERE key = ?').run(KEY);
    });
  }

  private stored(): StoredLease | undefined {
    const row = this.connection.sql('SELECT value FROM meta WHERE key = ?').get(KEY) as { value: Buffer } | undefined;
    if (!row) return undefined;
    try {
      return JSON.parse(row.value.toString('utf8')) as StoredLease;
    } catch {
      return undefined; // unreadable: as if free
    }
  }
}
