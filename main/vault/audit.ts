/** The local audit log of security events (DESIGN.md), sealed like every other record. */
import type { Database } from 'better-sqlite3';
import type { VaultConnection } from './connection.ts';
import type { Sql } from './database.ts';
import { openJson, sealJson } from './sealed-records.ts';

export const AuditActions = [
  'vault.created',
  'vault.unlocked',
  'vault.unlock_failed',
  'vault.locked',
  'vault.auto_locked',
  'settings.changed',
  'passphrase.changed',
  'second_factor.enrolled',
  'second_factor.used',
  'second_factor.removed',
  'recovery_code.used',
  'recovery_codes.replaced',
  'workspace.created',
  'workspace.deleted',
  /** "Sync between my devices" turned on or off for a personal workspace (target: the workspace). */
  'workspace.device_sync_on',
  'workspace.device_sync_off',
  'document.deleted',
  'comment.deleted',
  'file.deleted',
  'member.invited',
  'member.role_changed',
  'member.removed',
  'document.shared',
  'document.unshared',
  'link.created',
  'link.revoked',
  'export',
  /** Where the app wrote an export, a backup or an audit export (its full path), so a wipe can list it and offer to erase it. */
  'copy.written',
  'import',
  'wipe',
  'account.deleted',
  'device.added',
  'device.approved',
  'device.declined',
  'device.revoked',
  'recovery_key.made',
  'recovery_key.used',
  'profile.changed',
] as const;

export type AuditAction = (typeof AuditActions)[number];

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: AuditAction;
  target?: string;
}

export class AuditLog {
  private readonly sql: Sql;

  constructor(
    private readonly connection: VaultConnection,
    private readonly recordsKey: Uint8Array,
    private readonly actor: () => string,
  ) {
    this.sql = connection.sql;
  }

  record(action: AuditAction, target?: string, at = Date.now()): void {
    // The next seq is read under the write lock: another process may be recording at the same moment.
    this.connection.writeOne(() => {
      const seq = this.nextSeq();
      const entry: AuditEntry = { seq, at, actor: this.actor(), action, ...(target === undefined ? {} : { target }) };
      this.sql('INSERT INTO audit (seq, sealed) VALUES (?, ?)').run(seq, sealJson(this.recordsKey, { kind: 'audit', id: String(seq) }, entry));
    });
  }

  private nextSeq(): number {
    return ((this.sql('SELECT max(seq) AS seq FROM audit').get() as { seq: number | null }).seq ?? 0) + 1;
  }

  /** Brings in entries from an export, keeping their actor and time; entries already here are skipped. */
  adopt(entries: Array<{ at: number; actor: string; action: string; target?: string }>): number {
    return this.connection.write(() => {
      const seen = new Set(this.list().map(auditKey));
      let added = 0;
      for (const entry of entries) {
        if (seen.has(auditKey(entry))) continue;
        const seq = this.nextSeq();
        const stored = { seq, at: entry.at, actor: entry.actor, action: entry.action, ...(entry.target === undefined ? {} : { target: entry.target }) };
        this.sql('INSERT INTO audit (seq, sealed) VALUES (?, ?)').run(seq, sealJson(this.recordsKey, { kind: 'audit', id: String(seq) }, stored));
        seen.add(auditKey(entry));
        added++;
      }
      return added;
    });
  }

  /** Events written while the vault was locked (failed unlocks) join the sealed log on unlock. */
  absorbPending(): void {
    if (!this.sql('SELECT 1 FROM pending_audit LIMIT 1').get()) return;
    // Read and cleared in one write: two processes unlocking at once must not both copy them.
    this.connection.write(() => {
      const pending = this.sql('SELECT seq, at, action FROM pending_audit ORDER BY seq').all() as Array<{ seq: number; at: number; action: string }>;
      for (const event of pending) this.record(event.action as AuditAction, undefined, event.at);
      this.sql('DELETE FROM pending_audit').run();
    });
  }

  list(): AuditEntry[] {
    const rows = this.sql('SELECT seq, sealed FROM audit ORDER BY seq').all() as Array<{ seq: number; sealed: Uint8Array }>;
    return rows.map((row) => openJson<AuditEntry>(this.recordsKey, { kind: 'audit', id: String(row.seq) }, row.sealed));
  }
}

function auditKey(entry: { at: number; actor: string; action: string; target?: string }): string {
  return JSON.stringify([entry.at, entry.actor, entry.action, entry.target ?? null]);
}

export function recordPendingEvent(db: Database, action: AuditAction): void {
  db.prepare('INSERT INTO pending_audit (at, action) VALUES (?, ?)').run(Date.now(), action);
}
