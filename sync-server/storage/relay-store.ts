/**
 * Everything the relay keeps, behind one interface that both backends implement (through
 * SqlDriver). It stores ciphertext and role metadata only; it never decides policy: the relay
 * checks roles with common/roles.ts before calling it.
 */
import { randomBytes } from 'node:crypto';
import { HearthError } from '../../common/errors.ts';
import type { DeviceEntry } from '../../common/devices/log.ts';
import type { MembershipEntry, MembershipState } from '../../common/membership/log.ts';
import { epochRecipients, listDevices, readDeviceLog, requireEpochRecipients, storeDeviceEntries, type DeviceRow } from './device-logs.ts';
import type { Role } from '../../common/roles.ts';
import type { SpaceKind } from '../../common/protocol/messages.ts';
import { migrate } from './migrations.ts';
import { storeProfile } from './profiles.ts';
import type { ProfileUpdate } from '../../common/protocol/profile.ts';
import { deletePairing, listPairings, openPairing, readPairing, stepPairing, type PairingRecord } from './pairings.ts';
import { getRecoveryMaterial, isActiveRecovery, putRecoveryMaterial } from './recovery-material.ts';
import type { PairingOffer } from '../../common/devices/pairing.ts';
import { closeSession, endInstance, heartbeat, openSession, type SessionKey } from './sessions.ts';
import type { SqlDriver, SqlExecutor, SqlTransaction, SqlValue, StoreEvent } from './sql-driver.ts';
import { appendCommentChange, type CommentAppended, type CommentChange } from './comment-log.ts';
import { beginFile, deleteFile, getChunk, getFile, putChunk, type FileRecord } from './files.ts';
import { forgetDocumentHistory, type CarriedComment } from './generations.ts';
import { appendChangeAtOnce, chargeQuota, generationError, lockRows, requireRole, type Writer } from './writers.ts';

export type { SessionKey } from './sessions.ts';
export type { Writer } from './writers.ts';
export type { FileRecord } from './files.ts';

export interface AccountRecord {
  account: string;
  username: string;
  displayName: string;
  boxPublicKey: string;
  avatar: Uint8Array | null;
  createdAt: number;
  lastSignInAt: number | null;
  deletedAt: number | null;
}

/** A new key epoch's envelopes, one per member that may read under it. */
export interface EpochEnvelopes {
  epoch: number;
  items: Array<{ recipient: string; sealed: Uint8Array }>;
}

export interface LinkRecord {
  link: string;
  space: string;
  /** The document it publishes, when its creator said (null for links made before the relay kept it). */
  doc: string | null;
  ciphertext: Uint8Array | null;
  createdAt: number;
  expiresAt: number | null;
  revoked: boolean;
}

type Row = Record<string, unknown>;

/** The store as the relay's requests use it, wherever it runs: this thread, or the storage thread (threaded-store.ts). */
export type RelayStorage = Omit<RelayStore, 'driver'> & { readonly driver: StorageDriver };
/** What the relay (and its tests) use of the driver directly. */
export type StorageDriver = Pick<SqlDriver, 'dialect' | 'all' | 'run' | 'publish' | 'onEvent' | 'scrub'>;

/** A change small enough travels with its announcement to other instances, which then need not read it back. */
const ANNOUNCED_BYTES = 2048;

const bytes = (value: unknown): Uint8Array => value as Uint8Array;
const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export class RelayStore {
  private constructor(
    readonly driver: SqlDriver,
    readonly relayId: string,
  ) {}

  /** Opens the store, applying any migrations it lacks, and reads (or creates) this relay's id. */
  static async open(driver: SqlDriver): Promise<RelayStore> {
    await migrate(driver);
    const relayId = await driver.transaction(async (tx) => {
      await tx.run(`INSERT INTO relay_meta (key, value) VALUES ('relay_id', ?) ON CONFLICT (key) DO NOTHING`, [randomBytes(16).toString('base64url')]);
      const [row] = await tx.all<{ value: string }>(`SELECT value FROM relay_meta WHERE key = 'relay_id'`);
      return row!.value;
    });
    return new RelayStore(driver, relayId);
  }

  onEvent(listener: (event: StoreEvent) => void): void {
    this.driver.onEvent(listener);
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  // ── accounts ────────────────────────────────────────────────────────────────────────────────

  /** Creates the account; with `devices`, its device log too (already checked), in the same transaction. */
  async createAccount(record: Omit<AccountRecord, 'lastSignInAt' | 'deletedAt'>, devices?: DeviceRow[]): Promise<void> {
    await this.driver.transaction(async (tx) => {
      const existing = await tx.all(`SELECT account, username FROM accounts WHERE account = ? OR username = ?`, [record.account, record.username]);
      if (existing.some((r) => r.account === record.account)) throw new HearthError('ALREADY_EXISTS', 'This key is already registered here; sign in instead.');
      if (existing.length) throw new HearthError('ALREADY_EXISTS', `The username ${record.username} is taken; choose another.`);
      await tx.run(
        `INSERT INTO accounts (account, username, display_name, box_public_key, avatar, created_at, last_sign_in_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
        [record.account, record.username, record.displayName, record.boxPublicKey, record.avatar, record.createdAt, record.createdAt],
      );
      if (devices) await storeDeviceEntries(tx, this.driver.dialect, record.account, 0, devices);
    });
  }

  /** Keeps a verified profile update if its device is active and it is newer (profiles.ts); the version kept. */
  setProfile(update: ProfileUpdate, avatar: Uint8Array | null): Promise<number> {
    return storeProfile(this.driver, update, avatar);
  }

  // ── device logs (device-logs.ts) ────────────────────────────────────────────────────────────

  /** Appends entries (already checked against the first `fromSeq`); CONFLICT if the log moved on. Says which devices the entries revoked. */
  async appendDevices(account: string, fromSeq: number, rows: DeviceRow[]): Promise<void> {
    await this.driver.transaction(async (tx) => {
      await storeDeviceEntries(tx, this.driver.dialect, account, fromSeq, rows);
      const revoked = rows.filter((r) => r.entry.action === 'revoke').map((r) => r.entry.device);
      if (revoked.length > 0) tx.notify({ kind: 'devicesRevoked', account, devices: revoked });
    });
  }

  /**
   * Revokes a device and starts the new key epoch of every space in `rotations` (each a
   * device_revoked entry with its envelopes), all in one transaction; `rotations` must name every
   * space the account is a member of here (else CONFLICT, nothing stored).
   */
  async revokeDevice(
    account: string,
    fromSeq: number,
    rows: DeviceRow[],
    rotations: Array<{ before: MembershipState; entry: MembershipEntry; after: MembershipState; rotation: EpochEnvelopes }>,
  ): Promise<void> {
    await this.driver.transaction(async (tx) => {
      await storeDeviceEntries(tx, this.driver.dialect, account, fromSeq, rows);
      const spaces = await tx.all(`SELECT space FROM members WHERE account = ?`, [account]);
      const rotated = new Set(rotations.map((r) => r.before.space));
      if (spaces.length !== rotated.size || spaces.some((s) => !rotated.has(s.space as string))) {
        throw new HearthError(
          'CONFLICT',
          'A revocation starts a new key epoch in every space the account is a member of here, and only there; fetch your spaces and try again.',
        );
      }
      for (const { before, entry, after, rotation } of rotations) await this.appendMembershipIn(tx, before, entry, after, rotation);
      tx.notify({ kind: 'devicesRevoked', account, devices: rows.map((r) => r.entry.device) });
    });
  }

  /** Who a new key epoch among `members` is sealed to (device-logs.ts). */
  async epochRecipients(members: string[]): Promise<string[]> {
    return [...(await epochRecipients(this.driver, members))];
  }

  // ── pairings (pairings.ts) ──────────────────────────────────────────────────────────────────

  openPairing(id: string, account: string, offer: PairingOffer, at: number): Promise<void> {
    return openPairing(this.driver, id, account, offer, at);
  }

  readPairing(id: string, at: number): Promise<PairingRecord> {
    return readPairing(this.driver, id, at);
  }

  listPairings(account: string, at: number): Promise<PairingRecord[]> {
    return listPairings(this.driver, account, at);
  }

  stepPairing(id: string, step: 'nonce' | 'secret' | 'material', value: string | Uint8Array, at: number): Promise<void> {
    return stepPairing(this.driver, id, step, value, at);
  }

  deletePairing(id: string): Promise<void> {
    return deletePairing(this.driver, id);
  }

  // ── the recovery key's sealed account material (recovery-material.ts) ─────────────────────────

  putRecoveryMaterial(account: string, device: string, material: Uint8Array, at: number): Promise<void> {
    return putRecoveryMaterial(this.driver, account, device, material, at);
  }

  getRecoveryMaterial(account: string, device: string): Promise<Uint8Array | undefined> {
    return getRecoveryMaterial(this.driver, account, device);
  }

  isActiveRecovery(account: string, device: string): Promise<boolean> {
    return isActiveRecovery(this.driver, account, device);
  }

  getDeviceLog(account: string, since = 0): Promise<DeviceEntry[]> {
    return readDeviceLog(this.driver, account, since);
  }

  private toAccount(row: Row | undefined): AccountRecord | undefined {
    if (!row) return undefined;
    return {
      account: row.account as string,
      username: row.username as string,
      displayName: row.display_name as string,
      boxPublicKey: row.box_public_key as string,
      avatar: (row.avatar as Uint8Array | null) ?? null,
      createdAt: num(row.created_at),
      lastSignInAt: numOrNull(row.last_sign_in_at),
      deletedAt: numOrNull(row.deleted_at),
    };
  }

  /** A live (not deleted) account. */
  async getAccount(account: string): Promise<AccountRecord | undefined> {
    return this.toAccount((await this.driver.all(`SELECT * FROM accounts WHERE account = ? AND deleted_at IS NULL`, [account]))[0]);
  }

  async findByUsername(username: string): Promise<AccountRecord | undefined> {
    return this.toAccount((await this.driver.all(`SELECT * FROM accounts WHERE username = ? AND deleted_at IS NULL`, [username]))[0]);
  }

  // ── sessions and instances (sessions.ts) ────────────────────────────────────────────────────

  /** Opens a signed-in connection (sessions.ts says what it refuses: too many connections, a device not active). */
  openSession(key: SessionKey, account: string, limit: number, at: number, device?: string): Promise<void> {
    return openSession(this.driver, key, account, limit, at, device);
  }

  closeSession(key: SessionKey): Promise<void> {
    return closeSession(this.driver, key);
  }

  /** Marks `instance` alive; forgets the sessions of instances silent since `staleBefore` (`sole`: of every other instance). */
  heartbeat(instance: string, at: number, staleBefore: number, sole = false): Promise<void> {
    return heartbeat(this.driver, instance, at, staleBefore, sole);
  }

  /** An instance that stops cleanly takes its sessions with it. */
  endInstance(instance: string): Promise<void> {
    return endInstance(this.driver, instance);
  }

  private requireRole(tx: SqlExecutor, space: string, writer: Writer | undefined): Promise<void> {
    return requireRole(tx, this.driver.dialect, space, writer);
  }

  // ── spaces and membership ───────────────────────────────────────────────────────────────────

  async createSpace(space: string, kind: SpaceKind, genesis: MembershipEntry, state: MembershipState, at: number): Promise<void> {
    await this.driver.transaction(async (tx) => {
      const inserted = await tx.run(
        `INSERT INTO spaces (space, kind, created_at, next_membership_seq, head, bytes_used) VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (space) DO NOTHING`,
        [space, kind, at, state.nextSeq, state.head!],
      );
      if (inserted === 0) throw new HearthError('ALREADY_EXISTS', `A space with id ${space} exists; choose a new random id.`);
      await tx.run(`INSERT INTO membership_log (space, seq, hash, entry) VALUES (?, 0, ?, ?)`, [space, state.head!, JSON.stringify(genesis)]);
      await tx.run(`INSERT INTO members (space, account, role) VALUES (?, ?, 'owner')`, [space, genesis.actor]);
    });
  }

  async getSpace(space: string): Promise<{ space: string; kind: SpaceKind; bytesUsed: number } | undefined> {
    const [row] = await this.driver.all(`SELECT space, kind, bytes_used FROM spaces WHERE space = ?`, [space]);
    return row ? { space, kind: row.kind as SpaceKind, bytesUsed: num(row.bytes_used) } : undefined;
  }

  async getRole(space: string, account: string): Promise<Role | undefined> {
    const [row] = await this.driver.all<{ role: Role }>(`SELECT role FROM members WHERE space = ? AND account = ?`, [space, account]);
    return row?.role;
  }

  async getMembers(space: string): Promise<Map<string, Role>> {
    const rows = await this.driver.all<{ account: string; role: Role }>(`SELECT account, role FROM members WHERE space = ?`, [space]);
    return new Map(rows.map((r) => [r.account, r.role]));
  }

  async getMembershipState(space: string): Promise<MembershipState | undefined> {
    const [row] = await this.driver.all(`SELECT next_membership_seq, head FROM spaces WHERE space = ?`, [space]);
    if (!row) return undefined;
    return { space, members: await this.getMembers(space), head: row.head as string, nextSeq: num(row.next_membership_seq) };
  }

  /**
   * Appends an entry already checked against `before`; refuses (CONFLICT) if another entry got
   * in first, so two relay instances can never fork the log. With `rotation`, the new key epoch's
   * envelopes are stored in the same transaction (CONFLICT if that epoch has envelopes already).
   */
  async appendMembership(before: MembershipState, entry: MembershipEntry, after: MembershipState, rotation?: EpochEnvelopes): Promise<void> {
    await this.driver.transaction((tx) => this.appendMembershipIn(tx, before, entry, after, rotation));
  }

  /** appendMembership's writes, inside `tx`; a new key epoch must reach every active device of every remaining member. */
  private async appendMembershipIn(
    tx: SqlTransaction,
    before: MembershipState,
    entry: MembershipEntry,
    after: MembershipState,
    rotation?: EpochEnvelopes,
  ): Promise<void> {
    // Only the rows that change: a member whose row stays is never locked out by another's
    // removal. Member rows first, then the space's row, the order every write locks them in
    // (requireRole, then the quota), so two transactions never wait on each other in a circle.
    const removed = [...before.members.keys()].filter((account) => !after.members.has(account));
    for (const account of removed) await tx.run(`DELETE FROM members WHERE space = ? AND account = ?`, [before.space, account]);
    for (const [account, role] of after.members) {
      if (before.members.get(account) === role) continue;
      await tx.run(`INSERT INTO members (space, account, role) VALUES (?, ?, ?) ON CONFLICT (space, account) DO UPDATE SET role = excluded.role`, [
        before.space,
        account,
        role,
      ]);
    }
    const moved = await tx.run(`UPDATE spaces SET next_membership_seq = ?, head = ? WHERE space = ? AND next_membership_seq = ?`, [
      after.nextSeq,
      after.head!,
      before.space,
      before.nextSeq,
    ]);
    if (moved === 0) throw new HearthError('CONFLICT', 'The membership log moved on meanwhile; fetch it and rebuild your entry.');
    await tx.run(`INSERT INTO membership_log (space, seq, hash, entry) VALUES (?, ?, ?, ?)`, [before.space, entry.seq, after.head!, JSON.stringify(entry)]);
    if (rotation) {
      const [taken] = await tx.all(`SELECT 1 AS found FROM envelopes WHERE space = ? AND epoch = ? LIMIT 1`, [before.space, rotation.epoch]);
      if (taken) throw new HearthError('CONFLICT', `Key epoch ${rotation.epoch} of this space has its key already; fetch the membership log and rotate again.`);
      await requireEpochRecipients(
        tx,
        [...after.members.keys()],
        rotation.items.map((i) => i.recipient),
      );
      for (const item of rotation.items)
        await tx.run(`INSERT INTO envelopes (space, epoch, recipient, sealed) VALUES (?, ?, ?, ?)`, [
          before.space,
          rotation.epoch,
          item.recipient,
          item.sealed,
        ]);
    }
    // A public link lives only while the member who published it belongs to the space: one who
    // leaves or is removed no longer publishes the space's documents (and could not revoke them).
    for (const account of removed) await revokeLinksWhere(tx, `space = ? AND created_by = ?`, [before.space, account]);
    tx.notify({ kind: 'membership', space: before.space, ...(removed.length ? { removed } : {}) });
  }

  async getMembershipLog(space: string, since: number): Promise<MembershipEntry[]> {
    const rows = await this.driver.all<{ entry: string }>(`SELECT entry FROM membership_log WHERE space = ? AND seq >= ? ORDER BY seq`, [space, since]);
    return rows.map((r) => JSON.parse(r.entry) as MembershipEntry);
  }

  async hasMembershipHead(space: string, hash: string): Promise<boolean> {
    return (await this.driver.all(`SELECT 1 AS found FROM membership_log WHERE space = ? AND hash = ?`, [space, hash])).length > 0;
  }

  async putEnvelopes(space: string, epoch: number, items: Array<{ recipient: string; sealed: Uint8Array }>, writer?: Writer): Promise<void> {
    await this.driver.transaction(async (tx) => {
      await this.requireRole(tx, space, writer);
      for (const item of items) {
        await tx.run(`INSERT INTO envelopes (space, epoch, recipient, sealed) VALUES (?, ?, ?, ?) ON CONFLICT (space, epoch, recipient) DO NOTHING`, [
          space,
          epoch,
          item.recipient,
          item.sealed,
        ]);
      }
      tx.notify({ kind: 'membership', space });
    });
  }

  /** The envelopes sealed to the account itself and, for a device signed in, to that device. */
  async getEnvelopes(space: string, recipient: string, device?: string): Promise<Array<{ epoch: number; sealed: Uint8Array }>> {
    const rows = await this.driver.all(`SELECT epoch, sealed FROM envelopes WHERE space = ? AND recipient IN (?, ?) ORDER BY epoch`, [
      space,
      recipient,
      device ?? recipient,
    ]);
    return rows.map((r) => ({ epoch: num(r.epoch), sealed: bytes(r.sealed) }));
  }

  /** Removes every row of a space: documents, files, links, envelopes, membership. */
  async deleteSpace(space: string, writer?: Writer): Promise<void> {
    await this.driver.transaction(async (tx) => {
      await this.requireRole(tx, space, writer);
      await deleteSpaceRows(tx, space);
      tx.notify({ kind: 'spaceDeleted', space });
    });
  }

  // ── documents ───────────────────────────────────────────────────────────────────────────────

  /**
   * Appends a change and assigns its sequence number, counting its bytes against the space's
   * quota, after checking `writer` (the author) in the same transaction. A change id seen before
   * returns the earlier sequence number (a retried push).
   */
  async appendChange(
    space: string,
    doc: string,
    changeId: string,
    author: string,
    change: Uint8Array,
    quota: number,
    writer?: Writer,
    gen = 0,
  ): Promise<{ seq: number; duplicate: boolean }> {
    const announced = change.length <= ANNOUNCED_BYTES ? change : undefined;
    if (this.driver.dialect === 'postgres') {
      const appended = await appendChangeAtOnce(this.driver, { space, doc, changeId, author, change, quota, writer, gen });
      if (!appended.duplicate) this.driver.publish({ kind: 'change', space, doc, seq: appended.seq, bytes: announced });
      return appended;
    }
    return this.driver.transaction(async (tx) => {
      await this.requireRole(tx, space, writer);
      const [seen] = await tx.all(`SELECT seq FROM changes WHERE space = ? AND doc = ? AND change_id = ?`, [space, doc, changeId]);
      if (seen) return { seq: num(seen.seq), duplicate: true };
      const [held] = await tx.all(`SELECT gen FROM docs WHERE space = ? AND doc = ?`, [space, doc]);
      if (held && num(held.gen) !== gen) throw generationError(gen, num(held.gen));
      await chargeQuota(tx, space, change.length, quota);
      const [row] = await tx.all(
        `INSERT INTO docs (space, doc, last_seq, gen) VALUES (?, ?, 1, ?) ON CONFLICT (space, doc) DO UPDATE SET last_seq = docs.last_seq + 1 RETURNING last_seq`,
        [space, doc, gen],
      );
      const seq = num(row!.last_seq);
      await tx.run(`INSERT INTO changes (space, doc, seq, change_id, author, bytes) VALUES (?, ?, ?, ?, ?, ?)`, [space, doc, seq, changeId, author, change]);
      tx.notify({ kind: 'change', space, doc, seq, bytes: announced });
      return { seq, duplicate: false };
    });
  }

  /** Appends a comment change under the comment rules; a deletion drops the comment's earlier blobs (comment-log.ts). */
  appendCommentChange(change: CommentChange): Promise<CommentAppended> {
    return appendCommentChange(this.driver, change);
  }

  /** The latest sequence number of each of these documents that has any (what a sweep compares with what it delivered). */
  async latestSeqs(docs: ReadonlyArray<{ space: string; doc: string }>): Promise<Array<{ space: string; doc: string; seq: number }>> {
    const found: Array<{ space: string; doc: string; seq: number }> = [];
    for (let i = 0; i < docs.length; i += 400) {
      const page = docs.slice(i, i + 400);
      const rows = await this.driver.all(
        `SELECT space, doc, last_seq FROM docs WHERE (space, doc) IN (VALUES ${page.map(() => '(?, ?)').join(', ')})`,
        page.flatMap((d) => [d.space, d.doc]),
      );
      for (const row of rows) found.push({ space: row.space as string, doc: row.doc as string, seq: num(row.last_seq) });
    }
    return found;
  }

  async getChange(space: string, doc: string, seq: number): Promise<Uint8Array | undefined> {
    const [row] = await this.driver.all(`SELECT bytes FROM changes WHERE space = ? AND doc = ? AND seq = ?`, [space, doc, seq]);
    return row ? bytes(row.bytes) : undefined;
  }

  /** Changes after `since`; when a snapshot covers part of that range, the snapshot comes first. */
  /**
   * With `reader`, only for a member of the space as the database has it now, checked in the same
   * query (a member removed on another instance reads nothing new, whatever that instance cached).
   */
  async getChanges(
    space: string,
    doc: string,
    since: number,
    limit: number,
    reader?: string,
  ): Promise<{ snapshot: { covers: number; bytes: Uint8Array } | null; changes: Array<{ seq: number; bytes: Uint8Array }>; latest: number }> {
    const [docRow = {}] = await this.driver.all(
      `SELECT m.role, d.last_seq, d.snapshot_covers, d.snapshot FROM (SELECT CAST(? AS TEXT) AS space, CAST(? AS TEXT) AS doc) AS k
       LEFT JOIN members m ON m.space = k.space AND m.account = ? LEFT JOIN docs d ON d.space = k.space AND d.doc = k.doc`,
      [space, doc, reader ?? ''],
    );
    if (reader && !docRow.role) {
      const [found] = await this.driver.all(`SELECT 1 AS found FROM spaces WHERE space = ?`, [space]);
      throw found
        ? new HearthError('FORBIDDEN', 'You are not a member of this space (any more); ask one of its Owners or Admins to add you.')
        : new HearthError('NOT_FOUND', 'That space does not exist (any more).');
    }
    if (docRow.last_seq === null || docRow.last_seq === undefined) return { snapshot: null, changes: [], latest: 0 };
    const covers = numOrNull(docRow.snapshot_covers);
    const snapshot = covers !== null && since < covers ? { covers, bytes: bytes(docRow.snapshot) } : null;
    // A snapshot carries no comments: the comment changes under it stay and come with it, all of them.
    const kept = snapshot
      ? await this.driver.all(`SELECT seq, bytes FROM changes WHERE space = ? AND doc = ? AND seq > ? AND seq <= ? ORDER BY seq`, [space, doc, since, covers])
      : [];
    const rows = await this.driver.all(`SELECT seq, bytes FROM changes WHERE space = ? AND doc = ? AND seq > ? ORDER BY seq LIMIT ?`, [
      space,
      doc,
      snapshot ? covers! : since,
      limit,
    ]);
    return { snapshot, changes: [...kept, ...rows].map((r) => ({ seq: num(r.seq), bytes: bytes(r.bytes) })), latest: num(docRow.last_seq) };
  }

  /** Stores a snapshot covering changes 1..covers and drops those changes but the comments' (a snapshot carries no comments). */
  async putSnapshot(space: string, doc: string, covers: number, snapshot: Uint8Array, quota: number, writer?: Writer, gen = 0): Promise<void> {
    await this.driver.transaction(async (tx) => {
      await this.requireRole(tx, space, writer);
      const [docRow] = await tx.all(`SELECT last_seq, snapshot_covers, snapshot, gen FROM docs WHERE space = ? AND doc = ?`, [space, doc]);
      if (docRow && num(docRow.gen) !== gen) throw generationError(gen, num(docRow.gen));
      if (!docRow || covers > num(docRow.last_seq)) throw new HearthError('BAD_REQUEST', 'A snapshot can only cover changes the relay has; pull first.');
      const previous = numOrNull(docRow.snapshot_covers);
      if (previous !== null && covers <= previous) throw new HearthError('CONFLICT', `A newer snapshot (covering ${previous}) is already stored.`);
      const [dropped] = await tx.all(
        `SELECT COALESCE(SUM(LENGTH(bytes)), 0) AS total FROM changes WHERE space = ? AND doc = ? AND seq <= ? AND comment IS NULL`,
        [space, doc, covers],
      );
      const freed = num(dropped!.total) + (docRow.snapshot ? bytes(docRow.snapshot).length : 0);
      await chargeQuota(tx, space, snapshot.length - freed, quota);
      await tx.run(`DELETE FROM changes WHERE space = ? AND doc = ? AND seq <= ? AND comment IS NULL`, [space, doc, covers]);
      await tx.run(`UPDATE docs SET snapshot_covers = ?, snapshot = ? WHERE space = ? AND doc = ?`, [covers, snapshot, space, doc]);
    });
  }

  /**
   * Replaces the document's history with generation `gen` (sync-server/storage/generations.ts):
   * its log and snapshot go, `snapshot` and the carried `comments` become its only content, in one
   * transaction, and only if `covers` is still its last sequence number. Returns the snapshot's sequence number.
   */
  forgetHistory(
    space: string,
    doc: string,
    gen: number,
    covers: number,
    snapshot: Uint8Array,
    quota: number,
    writer?: Writer,
    comments: readonly CarriedComment[] = [],
  ): Promise<{ seq: number }> {
    return this.driver.transaction((tx) => forgetDocumentHistory(tx, this.driver.dialect, { space, doc, gen, covers, snapshot, comments, quota, writer }));
  }

  async deleteDoc(space: string, doc: string, writer?: Writer): Promise<void> {
    await this.driver.transaction(async (tx) => {
      await this.requireRole(tx, space, writer);
      // The space's row first, as a push takes it (then the document's, then the change's): a push
      // into this document waits, and then finds it gone, instead of deadlocking with the deletion.
      await tx.all(`SELECT space FROM spaces WHERE space = ?${lockRows(this.driver.dialect)}`, [space]);
      const [used] = await tx.all(
        `SELECT (SELECT COALESCE(SUM(LENGTH(bytes)), 0) FROM changes WHERE space = ? AND doc = ?) + (SELECT COALESCE(SUM(LENGTH(snapshot)), 0) FROM docs WHERE space = ? AND doc = ?) AS total`,
        [space, doc, space, doc],
      );
      await tx.run(`DELETE FROM changes WHERE space = ? AND doc = ?`, [space, doc]);
      await tx.run(`DELETE FROM docs WHERE space = ? AND doc = ?`, [space, doc]);
      await tx.run(`DELETE FROM comments WHERE space = ? AND doc = ?`, [space, doc]);
      await tx.run(`UPDATE spaces SET bytes_used = bytes_used - ? WHERE space = ?`, [num(used!.total), space]);
      // S6: the document's public links end with it (whoever created them), their copies dropped.
      await revokeLinksWhere(tx, `space = ? AND doc = ?`, [space, doc]);
      tx.notify({ kind: 'docDeleted', space, doc });
    });
  }

  // ── files ───────────────────────────────────────────────────────────────────────────────────

  /** Starts (or resumes) an upload. The whole declared size is charged to the quota up front. */
  beginFile(space: string, file: string, size: number, chunkSize: number, uploader: string, quota: number, at: number, writer?: Writer): Promise<FileRecord> {
    return beginFile(this.driver, { space, file, size, chunkSize, uploader, quota, at, writer });
  }

  getFile(space: string, file: string): Promise<FileRecord | undefined> {
    return getFile(this.driver, space, file);
  }

  putChunk(space: string, file: string, index: number, chunk: Uint8Array, writer?: Writer): Promise<void> {
    return putChunk(this.driver, space, file, index, chunk, writer);
  }

  getChunk(space: string, file: string, index: number): Promise<Uint8Array | undefined> {
    return getChunk(this.driver, space, file, index);
  }

  deleteFile(space: string, file: string, writer?: Writer): Promise<void> {
    return deleteFile(this.driver, space, file, writer);
  }

  // ── links ───────────────────────────────────────────────────────────────────────────────────

  /** Stores a link's ciphertext; `doc` (the document it publishes, when the client names it) lets deleting that document drop it. */
  async putLink(
    link: string,
    space: string,
    createdBy: string,
    ciphertext: Uint8Array,
    expiresAt: number | null,
    quota: number,
    at: number,
    doc: string | null = null,
    writer?: Writer,
  ): Promise<void> {
    await this.driver.transaction(async (tx) => {
      await this.requireRole(tx, space, writer);
      const [existing] = await tx.all(`SELECT 1 AS found FROM links WHERE link = ?`, [link]);
      if (existing) throw new HearthError('ALREADY_EXISTS', 'A link with this id exists; choose a new random id.');
      await chargeQuota(tx, space, ciphertext.length, quota);
      await tx.run(`INSERT INTO links (link, space, doc, created_by, ciphertext, created_at, expires_at, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, 0)`, [
        link,
        space,
        doc,
        createdBy,
        ciphertext,
        at,
        expiresAt,
      ]);
    });
  }

  async getLink(link: string): Promise<LinkRecord | undefined> {
    const [row] = await this.driver.all(`SELECT * FROM links WHERE link = ?`, [link]);
    if (!row) return undefined;
    return {
      link,
      space: row.space as string,
      doc: (row.doc as string | null) ?? null,
      ciphertext: (row.ciphertext as Uint8Array | null) ?? null,
      createdAt: num(row.created_at),
      expiresAt: numOrNull(row.expires_at),
      revoked: num(row.revoked) === 1,
    };
  }

  /** Revoking drops the ciphertext at once; the row stays so the page can say "revoked". */
  async revokeLink(space: string, link: string, writer?: Writer): Promise<boolean> {
    return this.driver.transaction(async (tx) => {
      await this.requireRole(tx, space, writer);
      const [row] = await tx.all(`SELECT LENGTH(ciphertext) AS size FROM links WHERE link = ? AND space = ? AND revoked = 0`, [link, space]);
      if (!row) return false;
      await tx.run(`UPDATE links SET revoked = 1, ciphertext = NULL WHERE link = ?`, [link]);
      await tx.run(`UPDATE spaces SET bytes_used = bytes_used - ? WHERE space = ?`, [num(row.size), space]);
      return true;
    });
  }

  // ── right of access and account deletion ────────────────────────────────────────────────────

  async accessReport(account: string) {
    const record = await this.getAccount(account);
    if (!record) return undefined;
    const spaces = await this.driver.all(
      `SELECT s.space, s.kind, m.role, s.bytes_used,
         (SELECT COALESCE(SUM(LENGTH(c.bytes)), 0) FROM changes c WHERE c.space = s.space AND c.author = ?) AS authored
       FROM members m JOIN spaces s ON s.space = m.space WHERE m.account = ? ORDER BY s.space`,
      [account, account],
    );
    // Sealed to the account key, or to one of its devices (device-logs.ts).
    const envelopes = await this.driver.all(
      `SELECT space, epoch FROM envelopes WHERE recipient = ? OR recipient IN (SELECT device FROM devices WHERE account = ?) ORDER BY space, epoch`,
      [account, account],
    );
    const links = await this.driver.all(`SELECT link, space, created_at, expires_at, revoked FROM links WHERE created_by = ? ORDER BY created_at`, [account]);
    const [authored] = await this.driver.all(`SELECT COALESCE(SUM(LENGTH(bytes)), 0) AS total FROM changes WHERE author = ?`, [account]);
    const [uploaded] = await this.driver.all(`SELECT COALESCE(SUM(size), 0) AS total FROM files WHERE uploader = ?`, [account]);
    return {
      record,
      devices: await listDevices(this.driver, account),
      bytesStored: num(authored!.total) + num(uploaded!.total) + (record.avatar?.length ?? 0),
      spaces: spaces.map((s) => ({
        space: s.space as string,
        kind: s.kind as SpaceKind,
        role: s.role as Role,
        bytesStored: num(s.bytes_used),
        bytesAuthored: num(s.authored),
      })),
      envelopes: envelopes.map((e) => ({ space: e.space as string, epoch: num(e.epoch) })),
      links: links.map((l) => ({
        link: l.link as string,
        space: l.space as string,
        createdAt: num(l.created_at),
        expiresAt: numOrNull(l.expires_at),
        revoked: num(l.revoked) === 1,
      })),
    };
  }

  /**
   * Spaces that outlive the account if it is deleted: it is a member, and not their only Owner.
   * Their signed membership log must say it left (an account_deleted entry) before it is deleted,
   * or the log and the members table would disagree.
   */
  async spacesOutliving(account: string): Promise<string[]> {
    const rows = await this.driver.all<{ space: string }>(
      `SELECT m.space FROM members m WHERE m.account = ?
         AND (m.role <> 'owner' OR EXISTS (SELECT 1 FROM members o WHERE o.space = m.space AND o.role = 'owner' AND o.account <> m.account))
       ORDER BY m.space`,
      [account],
    );
    return rows.map((r) => r.space);
  }

  /**
   * Marks an account deleted: it can no longer sign in or be found, and every public link it
   * created is revoked at once (copies dropped, also in spaces that outlive it; the rows keep no
   * creator). purgeDeleted() removes its other rows.
   */
  async markAccountDeleted(account: string, at: number): Promise<void> {
    await this.driver.transaction(async (tx) => {
      await tx.run(`UPDATE accounts SET deleted_at = ? WHERE account = ? AND deleted_at IS NULL`, [at, account]);
      await revokeLinksWhere(tx, `created_by = ?`, [account]);
      await tx.run(`UPDATE links SET created_by = NULL WHERE created_by = ?`, [account]);
    });
  }

  /**
   * Purges accounts deleted at or before `cutoff`: profile, envelopes, memberships; every space
   * where the account was the only Owner; and its name on what it wrote in shared spaces.
   * Returns the spaces removed.
   */
  async purgeDeleted(cutoff: number): Promise<string[]> {
    const due = await this.driver.all<{ account: string }>(`SELECT account FROM accounts WHERE deleted_at IS NOT NULL AND deleted_at <= ?`, [cutoff]);
    const removedSpaces: string[] = [];
    for (const { account } of due) {
      await this.driver.transaction(async (tx) => {
        const owned = await tx.all<{ space: string }>(
          `SELECT m.space FROM members m WHERE m.account = ? AND m.role = 'owner'
             AND NOT EXISTS (SELECT 1 FROM members o WHERE o.space = m.space AND o.role = 'owner' AND o.account <> m.account)`,
          [account],
        );
        for (const { space } of owned) {
          await deleteSpaceRows(tx, space);
          tx.notify({ kind: 'spaceDeleted', space });
          removedSpaces.push(space);
        }
        const shared = await tx.all<{ space: string }>(`SELECT space FROM members WHERE account = ?`, [account]);
        await tx.run(`DELETE FROM members WHERE account = ?`, [account]);
        for (const { space } of shared) tx.notify({ kind: 'membership', space });
        await tx.run(`DELETE FROM envelopes WHERE recipient = ? OR recipient IN (SELECT device FROM devices WHERE account = ?)`, [account, account]);
        await tx.run(`DELETE FROM sessions WHERE account = ?`, [account]);
        await tx.run(`DELETE FROM device_log WHERE account = ?`, [account]);
        await tx.run(`DELETE FROM devices WHERE account = ?`, [account]);
        await tx.run(`DELETE FROM pairings WHERE account = ?`, [account]);
        await tx.run(`DELETE FROM recovery_material WHERE account = ?`, [account]);
        await tx.run(`UPDATE changes SET author = NULL WHERE author = ?`, [account]);
        await tx.run(`UPDATE comments SET author = NULL WHERE author = ?`, [account]);
        await tx.run(`UPDATE files SET uploader = NULL WHERE uploader = ?`, [account]);
        await tx.run(`UPDATE links SET created_by = NULL WHERE created_by = ?`, [account]);
        await tx.run(`DELETE FROM accounts WHERE account = ?`, [account]);
      });
    }
    if (due.length) await this.driver.scrub();
    return removedSpaces;
  }
}

/** Revokes the active links matching `where`: ciphertext dropped, row kept so the viewer can say "revoked", quota given back. */
async function revokeLinksWhere(tx: SqlExecutor, where: string, params: readonly SqlValue[]): Promise<void> {
  const rows = await tx.all(`SELECT link, space, LENGTH(ciphertext) AS size FROM links WHERE revoked = 0 AND ${where}`, params);
  for (const row of rows) {
    await tx.run(`UPDATE links SET revoked = 1, ciphertext = NULL WHERE link = ?`, [row.link as string]);
    await tx.run(`UPDATE spaces SET bytes_used = bytes_used - ? WHERE space = ?`, [num(row.size ?? 0), row.space as string]);
  }
}

async function deleteSpaceRows(tx: SqlExecutor, space: string): Promise<void> {
  // Members first: a write in flight holds its member row (requireRole) and then takes others, so
  // the deletion waits for it there rather than holding a row the write needs next.
  for (const table of ['members', 'changes', 'comments', 'docs', 'file_chunks', 'files', 'links', 'envelopes', 'membership_log', 'spaces']) {
    await tx.run(`DELETE FROM ${table} WHERE space = ?`, [space]);
  }
}
