/**
 * An in-memory relay for the sync modules' unit tests: one shared state, and per signed-in account
 * a client object with the slice of RelayClient's methods the modules call. It keeps what a relay
 * keeps (accounts, membership logs checked with the shared rules, key envelopes, per-document
 * change logs with sequence numbers, snapshots, file chunks), forwards pushes to subscribers, and
 * lets a test see and tamper with what it stores. The real relay over real sockets is what the
 * integration tests use; this is only for testing one module at a time.
 */
import type { IdentityKeys } from '../../../../common/crypto/identity.ts';
import { HearthError } from '../../../../common/errors.ts';
import {
  applyMembershipEntry,
  emptyMembership,
  lastDepartureIndex,
  nextEntry,
  signMembershipEntry,
  type MembershipEntry,
  type MembershipState,
} from '../../../../common/membership/log.ts';
import { extendDeviceLog, replayDeviceLog, type DeviceEntry } from '../../../../common/devices/log.ts';
import { accountIdOf, type ChangeListener, type RelayClient, type Signer } from '../../../../common/protocol/client.ts';
import type { Role } from '../../../../common/roles.ts';

interface StoredDoc {
  changes: Array<{ seq: number; bytes: Uint8Array }>;
  /** Comment changes a new generation carried, kept under its snapshot. */
  kept?: Array<{ seq: number; bytes: Uint8Array }>;
  latest: number;
  snapshot: { covers: number; bytes: Uint8Array } | null;
}

interface StoredSpace {
  kind: 'workspace' | 'document';
  entries: MembershipEntry[];
  state: MembershipState;
  /** recipient → epoch → envelope (the first one stored stays). */
  envelopes: Map<string, Map<number, Uint8Array>>;
  docs: Map<string, StoredDoc>;
  files: Map<string, { size: number; chunkSize: number; chunks: Map<number, Uint8Array> }>;
}

type Result<M extends keyof RelayClient> = RelayClient[M] extends (...args: never[]) => Promise<infer R> ? R : never;

export class FakeRelay {
  readonly profiles = new Map<string, { account: string; username: string; displayName: string; boxPublicKey: string }>();
  /** Account → its device log, checked with the shared rules as the relay checks it. */
  readonly deviceLogs = new Map<string, DeviceEntry[]>();
  readonly spaces = new Map<string, StoredSpace>();
  /** Every request made, as `account method space/doc`, for tests that count round trips. */
  readonly calls: string[] = [];
  private readonly listeners = new Map<string, Set<{ client: FakeClient; listener: ChangeListener }>>();
  /** Set to make every request fail as an unreachable relay would. */
  down = false;

  /** A connected client (not signed in). */
  connect(): FakeClient {
    if (this.down) throw new HearthError('UNAVAILABLE', 'Cannot reach the relay (fake).');
    return new FakeClient(this);
  }

  space(id: string): StoredSpace {
    const space = this.spaces.get(id);
    if (!space) throw new HearthError('NOT_FOUND', `No space ${id}.`);
    return space;
  }

  doc(space: string, doc: string): StoredDoc {
    const stored = this.space(space).docs;
    let found = stored.get(doc);
    if (!found) stored.set(doc, (found = { changes: [], latest: 0, snapshot: null }));
    return found;
  }

  /** The blobs stored for a document, in order (a test may change them: that is tampering). */
  stored(space: string, doc: string): Array<{ seq: number; bytes: Uint8Array }> {
    return this.doc(space, doc).changes;
  }

  role(space: string, account: string): Role | undefined {
    return this.space(space).state.members.get(account);
  }

  /** Appends a change as the relay does on push and tells the other subscribers. */
  append(from: FakeClient | undefined, space: string, doc: string, bytes: Uint8Array): number {
    const stored = this.doc(space, doc);
    const seq = ++stored.latest;
    stored.changes.push({ seq, bytes });
    for (const { client, listener } of this.listeners.get(`${space}/${doc}`) ?? []) if (client !== from && !client.closed) listener({ space, doc, seq, bytes });
    return seq;
  }

  listen(client: FakeClient, space: string, doc: string, listener: ChangeListener): void {
    const key = `${space}/${doc}`;
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add({ client, listener });
  }
}

export class FakeClient {
  account = '';
  closed = false;
  private readonly closeListeners = new Set<() => void>();

  constructor(private readonly relay: FakeRelay) {}

  private call(method: string, target = ''): void {
    if (this.closed) throw new HearthError('UNAVAILABLE', 'The relay connection closed (fake).');
    if (this.relay.down) throw new HearthError('UNAVAILABLE', 'Cannot reach the relay (fake).');
    this.relay.calls.push(`${this.account.slice(0, 6)} ${method} ${target}`.trim());
  }

  private member(space: string): Role {
    const role = this.relay.role(space, this.account);
    if (!role) throw new HearthError('FORBIDDEN', 'Not a member of this space (fake relay).');
    return role;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners) listener();
  }

  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  onMembershipChanged(_listener: (space: string) => void): () => void {
    return () => undefined;
  }

  onPresence(): () => void {
    return () => undefined;
  }

  onHistoryForgotten(): () => void {
    return () => undefined;
  }

  /** The device signed in, for an account with a device log. */
  device: string | undefined;

  async register(signer: Signer, profile: { username: string; displayName: string }): Promise<Result<'register'>> {
    this.call('register');
    const account = 'device' in signer ? signer.account : accountIdOf(signer);
    const taken = [...this.relay.profiles.values()].find((p) => p.username === profile.username || p.account === account);
    if (taken) throw new HearthError('ALREADY_EXISTS', `The username ${profile.username} is taken.`);
    if ('device' in signer) {
      const log = replayDeviceLog(account, signer.log ?? []);
      if (log.devices.get(signer.device)?.revokedAt !== undefined) throw new HearthError('UNAUTHENTICATED', 'Not an active device (fake relay).');
      this.relay.deviceLogs.set(account, [...(signer.log ?? [])]);
    }
    this.relay.profiles.set(account, {
      account,
      username: profile.username,
      displayName: profile.displayName,
      boxPublicKey: Buffer.from(signer.boxPublicKey).toString('base64url'),
    });
    this.account = account;
    this.device = 'device' in signer ? signer.device : undefined;
    return { t: 'session', rid: 0, account, expiresAt: 0, parts: [] } as unknown as Result<'register'>;
  }

  async signIn(signer: Signer): Promise<Result<'signIn'>> {
    this.call('signIn');
    const account = 'device' in signer ? signer.account : accountIdOf(signer);
    if (!this.relay.profiles.has(account)) throw new HearthError('UNAUTHENTICATED', 'No account here (fake relay).');
    const log = this.relay.deviceLogs.get(account);
    const device = 'device' in signer ? signer.device : undefined;
    if (
      log ? !device || !replayDeviceLog(account, log).devices.get(device) || replayDeviceLog(account, log).devices.get(device)!.revokedAt !== undefined : device
    ) {
      throw new HearthError('UNAUTHENTICATED', 'Not an active device of the account (fake relay).');
    }
    this.account = account;
    this.device = device;
    return { t: 'session', rid: 0, account, expiresAt: 0, parts: [] } as unknown as Result<'signIn'>;
  }

  async putDevices(entries: readonly DeviceEntry[]): Promise<void> {
    this.call('putDevices');
    const stored = this.relay.deviceLogs.get(this.account) ?? [];
    if (stored.length) extendDeviceLog(replayDeviceLog(this.account, stored), entries);
    else replayDeviceLog(this.account, entries);
    this.relay.deviceLogs.set(this.account, [...stored, ...entries]);
  }

  /** The revoke entry and each space's device_revoked entry with its epoch, checked with the shared rules (not the recipients). */
  async revokeDevice(
    entry: DeviceEntry,
    rotations: ReadonlyArray<{ entry: MembershipEntry; epoch: number; sealed: ReadonlyArray<{ recipient: string; envelope: Uint8Array }> }>,
  ): Promise<void> {
    this.call('revokeDevice');
    const stored = this.relay.deviceLogs.get(this.account) ?? [];
    extendDeviceLog(replayDeviceLog(this.account, stored), [entry]);
    for (const rotation of rotations) applyMembershipEntry(this.relay.space(rotation.entry.space).state, rotation.entry);
    this.relay.deviceLogs.set(this.account, [...stored, entry]);
    for (const rotation of rotations) await this.appendMembership(rotation.entry, { epoch: rotation.epoch, sealed: [...rotation.sealed] });
  }

  async getDevices(account: string, since = 0): Promise<DeviceEntry[]> {
    this.call('getDevices');
    return (this.relay.deviceLogs.get(account) ?? []).filter((e) => e.seq >= since);
  }

  async lookup(username: string): Promise<Result<'lookup'>> {
    this.call('lookup', username);
    const found = [...this.relay.profiles.values()].find((p) => p.username === username);
    if (!found) throw new HearthError('NOT_FOUND', `No user ${username} on this relay.`);
    return { t: 'profile', rid: 0, parts: [], ...found } as unknown as Result<'lookup'>;
  }

  async createSpace(identity: IdentityKeys, space: string, kind: 'workspace' | 'document'): Promise<MembershipState> {
    this.call('createSpace', space);
    if (this.relay.spaces.has(space)) throw new HearthError('ALREADY_EXISTS', 'That space exists.');
    const me = accountIdOf(identity);
    const empty = emptyMembership(space);
    const genesis = signMembershipEntry(nextEntry(empty, { actor: me, action: 'create', subject: me, role: 'owner' }), identity.signSecretKey);
    const state = applyMembershipEntry(empty, genesis);
    this.relay.spaces.set(space, { kind, entries: [genesis], state, envelopes: new Map(), docs: new Map(), files: new Map() });
    return state;
  }

  async appendMembership(entry: MembershipEntry, rotation?: { epoch: number; sealed: Array<{ recipient: string; envelope: Uint8Array }> }): Promise<string> {
    this.call('appendMembership', entry.space);
    const space = this.relay.space(entry.space);
    space.state = applyMembershipEntry(space.state, entry);
    space.entries.push(entry);
    if (rotation) await this.putEnvelopes(entry.space, rotation.epoch, rotation.sealed);
    return space.state.head!;
  }

  async getMembership(space: string, since = 0): Promise<MembershipEntry[]> {
    this.call('getMembership', space);
    this.member(space);
    return this.relay.space(space).entries.filter((e) => e.seq >= since);
  }

  async getRemoval(space: string, since = 0): Promise<MembershipEntry[]> {
    this.call('getRemoval', space);
    const entries = this.relay.space(space).entries;
    const last = lastDepartureIndex(entries, this.account);
    if (last < 0) throw new HearthError('FORBIDDEN', 'Never a member of this space (fake relay).');
    return entries.slice(0, last + 1).filter((e) => e.seq >= since);
  }

  async putEnvelopes(space: string, epoch: number, sealed: Array<{ recipient: string; envelope: Uint8Array }>): Promise<void> {
    this.call('putEnvelopes', space);
    const stored = this.relay.space(space).envelopes;
    for (const { recipient, envelope } of sealed) {
      let byEpoch = stored.get(recipient);
      if (!byEpoch) stored.set(recipient, (byEpoch = new Map()));
      if (!byEpoch.has(epoch)) byEpoch.set(epoch, envelope);
    }
  }

  async getEnvelopes(space: string): Promise<Array<{ epoch: number; envelope: Uint8Array }>> {
    this.call('getEnvelopes', space);
    this.member(space);
    // Sealed to the account, and (as the relay does) to the device signed in.
    const envelopes = this.relay.space(space).envelopes;
    const mine = [this.account, ...(this.device ? [this.device] : [])].flatMap((recipient) => [...(envelopes.get(recipient) ?? new Map<number, Uint8Array>())]);
    return mine.map(([epoch, envelope]) => ({ epoch, envelope }));
  }

  async deleteSpace(space: string): Promise<void> {
    this.call('deleteSpace', space);
    if (this.member(space) !== 'owner') throw new HearthError('FORBIDDEN', 'Only an Owner deletes a space.');
    this.relay.spaces.delete(space);
  }

  async push(space: string, doc: string, change: Uint8Array): Promise<number> {
    this.call('push', `${space}/${doc}`);
    this.member(space);
    return this.relay.append(this, space, doc, change);
  }

  async pull(space: string, doc: string, since: number, limit = 1000): Promise<Result<'pull'>> {
    const all = await this.pullAll(space, doc, since);
    return { ...all, changes: all.changes.slice(0, limit) };
  }

  async pullAll(space: string, doc: string, since: number): Promise<Result<'pullAll'>> {
    this.call('pull', `${space}/${doc}`);
    this.member(space);
    const stored = this.relay.doc(space, doc);
    const snapshot = stored.snapshot && stored.snapshot.covers > since ? stored.snapshot : null;
    const after = snapshot ? snapshot.covers : since;
    const kept = snapshot ? (stored.kept ?? []).filter((c) => c.seq > since) : [];
    const changes = [...kept, ...stored.changes.filter((c) => c.seq > after)];
    return { snapshot, changes: changes.map((c) => ({ seq: c.seq, bytes: c.bytes.slice() })), latest: stored.latest };
  }

  async subscribe(space: string, doc: string, listener: ChangeListener): Promise<() => Promise<void>> {
    this.call('subscribe', `${space}/${doc}`);
    this.member(space);
    this.relay.listen(this, space, doc, listener);
    return async () => undefined;
  }

  async putSnapshot(space: string, doc: string, covers: number, snapshot: Uint8Array): Promise<void> {
    this.call('putSnapshot', `${space}/${doc}`);
    const stored = this.relay.doc(space, doc);
    if (stored.snapshot && stored.snapshot.covers >= covers) throw new HearthError('CONFLICT', 'A newer snapshot is there.');
    stored.snapshot = { covers, bytes: snapshot };
    stored.changes = stored.changes.filter((c) => c.seq > covers);
  }

  async forgetHistory(space: string, doc: string, _gen: number, covers: number, snapshot: Uint8Array, comments: readonly Uint8Array[] = []): Promise<number> {
    this.call('forgetHistory', `${space}/${doc}`);
    const stored = this.relay.doc(space, doc);
    if (covers !== stored.latest) throw new HearthError('CONFLICT', 'Edits reached the relay after you last synced (fake relay).');
    // The carried comments come just before the snapshot, which covers them; they go out with it.
    stored.kept = comments.map((bytes) => ({ seq: ++stored.latest, bytes }));
    const seq = ++stored.latest;
    stored.snapshot = { covers: seq, bytes: snapshot };
    stored.changes = [];
    return seq;
  }

  async deleteDoc(space: string, doc: string): Promise<void> {
    this.call('deleteDoc', `${space}/${doc}`);
    this.relay.space(space).docs.delete(doc);
  }

  async fileBegin(space: string, file: string, size: number, chunkSize: number): Promise<Result<'fileBegin'>> {
    this.call('fileBegin', `${space}/${file}`);
    const files = this.relay.space(space).files;
    if (!files.has(file)) files.set(file, { size, chunkSize, chunks: new Map() });
    return this.fileStatus(space, file);
  }

  async fileStatus(space: string, file: string): Promise<Result<'fileStatus'>> {
    const stored = this.relay.space(space).files.get(file);
    if (!stored) throw new HearthError('NOT_FOUND', 'No such file (fake relay).');
    const bytes = [...stored.chunks.values()].reduce((n, c) => n + c.length, 0);
    return {
      t: 'fileStatus',
      rid: 0,
      parts: [],
      file,
      size: stored.size,
      chunkSize: stored.chunkSize,
      received: [...stored.chunks.keys()],
      complete: bytes === stored.size,
    } as unknown as Result<'fileStatus'>;
  }

  async fileChunk(space: string, file: string, index: number, chunk: Uint8Array): Promise<void> {
    this.call('fileChunk', `${space}/${file}`);
    this.relay.space(space).files.get(file)!.chunks.set(index, chunk);
  }

  async fileGet(space: string, file: string, index: number): Promise<Uint8Array> {
    this.call('fileGet', `${space}/${file}`);
    return this.relay.space(space).files.get(file)!.chunks.get(index)!;
  }

  async fileDelete(space: string, file: string): Promise<void> {
    this.call('fileDelete', `${space}/${file}`);
    this.relay.space(space).files.delete(file);
  }

  async access(): Promise<Result<'access'>> {
    this.call('access');
    const spaces = [...this.relay.spaces].flatMap(([space, stored]) => {
      const role = stored.state.members.get(this.account);
      return role ? [{ space, kind: stored.kind, role, bytesStored: 0, bytesAuthored: 0 }] : [];
    });
    return { report: { spaces } as unknown as Result<'access'>['report'], avatar: undefined };
  }
}
