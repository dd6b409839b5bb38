/**
 * A relay client over any WebSocket (the browser's, or the `ws` package's in Node), so the app,
 * the tests and the bench share one implementation. It validates every frame it receives; a
 * frame that does not match the protocol closes the connection rather than being trusted.
 */
import type { ProfileUpdate } from './profile.ts';
import { HearthError, isHearthError } from '../errors.ts';
import type { IdentityKeys } from '../crypto/identity.ts';
import { toBase64Url } from '../crypto/sodium.ts';
import type { DeviceEntry } from '../devices/log.ts';
import type { PairingOffer } from '../devices/pairing.ts';
import { applyMembershipEntry, emptyMembership, nextEntry, signMembershipEntry, type MembershipEntry, type MembershipState } from '../membership/log.ts';
import { signAuth } from './auth.ts';
import {
  PROTOCOL_VERSION,
  decodeRelayFrame,
  encodeFrame,
  type AccessReport,
  type ClientFrame,
  type FrameOfType,
  type RelayFrame,
  type RelayFrameType,
  type SpaceKind,
} from './messages.ts';

/** Why a connection failed, in words: a relay without TLS 1.3 is told apart from one that cannot be reached. */
function connectionError(url: string, event: unknown): HearthError {
  const detail = String((event as { message?: unknown } | undefined)?.message ?? '');
  if (/protocol version|unsupported protocol|wrong version number/i.test(detail)) {
    return new HearthError(
      'INSECURE_TRANSPORT',
      `The relay at ${url} does not offer TLS 1.3, which Hearth requires for wss://; nothing was sent. Ask its operator to turn TLS 1.3 on.`,
    );
  }
  return new HearthError('UNAVAILABLE', `Cannot reach the relay at ${url}; check the address and that it is running.`);
}

/** The part of the WebSocket interface the client needs (browser WebSocket and `ws` both fit). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: (event: unknown) => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

export type ChangeListener = (change: { space: string; doc: string; seq: number; bytes: Uint8Array }) => void;
/** A forwarded presence payload (still sealed), or `payload: undefined` when the sender's connection went away. */
export type PresenceListener = (presence: { space: string; doc: string; from: string; payload: Uint8Array | undefined }) => void;

type Outgoing = ClientFrame extends infer F ? (F extends { rid: number } ? Omit<F, 'rid'> : never) : never;
type Pending = { resolve: (frame: RelayFrame) => void; reject: (error: HearthError) => void };

export function accountIdOf(identity: Pick<IdentityKeys, 'signPublicKey'>): string {
  return toBase64Url(identity.signPublicKey);
}

/** A device of an account that has a device log, as it signs in: its own key signs for the account. */
export interface DeviceSigner {
  account: string;
  /** The device's id (its Ed25519 public key, base64url). */
  device: string;
  signSecretKey: Uint8Array;
  /** The account's X25519 key that its profile publishes (key envelopes go to each device's own key, from the log). */
  boxPublicKey: Uint8Array;
  /** The account's whole device log, which a registration carries. */
  log?: readonly DeviceEntry[];
}

/** A pairing between a new device and an account, as the relay relays it (common/devices/pairing.ts). */
export interface PairingState {
  pairing: string;
  account: string;
  offer: PairingOffer;
  nonce: string | null;
  secret: string | null;
  material?: Uint8Array;
}

/** Who signs in: a device of the account, or (an account without a device log) its account key. */
export type Signer = IdentityKeys | DeviceSigner;

function isDevice(signer: Signer): signer is DeviceSigner {
  return 'device' in signer;
}

function signerAccount(signer: Signer): string {
  return isDevice(signer) ? signer.account : accountIdOf(signer);
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data) && data.every((d) => d instanceof Uint8Array)) {
    const total = data.reduce((n, d: Uint8Array) => n + d.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const d of data as Uint8Array[]) {
      out.set(d, offset);
      offset += d.length;
    }
    return out;
  }
  return undefined;
}

/** Retries of a request the relay refused for its rate limit, and the pause between them (doubling, with jitter). */
const RATE_LIMIT_RETRIES = 12;
const RATE_LIMIT_PAUSE_MS = 25;
const RATE_LIMIT_MAX_PAUSE_MS = 4000;

export class RelayClient {
  private nextRid = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<ChangeListener>>();
  private readonly presenceListeners = new Set<PresenceListener>();
  private readonly membershipListeners = new Set<(space: string) => void>();
  private readonly forgottenListeners = new Set<(forgotten: { space: string; doc: string; gen: number }) => void>();
  private readonly closeListeners = new Set<() => void>();
  private closedError: HearthError | undefined;
  /** While the relay refuses frames for the rate limit, every request waits until this time. */
  private pausedUntil = 0;
  private rateStrikes = 0;
  relayId = '';
  account = '';

  private constructor(private readonly socket: WebSocketLike) {
    socket.addEventListener('message', (event) => this.receive(event.data));
    socket.addEventListener('close', () => this.fail(new HearthError('UNAVAILABLE', 'The relay connection closed; reconnect and sign in again.')));
  }

  /** Opens a socket with `createSocket(url)` and waits until it is connected. */
  static connect(url: string, createSocket: (url: string) => WebSocketLike): Promise<RelayClient> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(url);
      socket.binaryType = 'arraybuffer';
      const client = new RelayClient(socket);
      socket.addEventListener('open', () => resolve(client));
      socket.addEventListener('error', (event) => reject(connectionError(url, event)));
    });
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  close(): void {
    this.socket.close();
  }

  private fail(error: HearthError): void {
    if (!this.closedError) {
      this.closedError = error;
      for (const listener of this.closeListeners) listener();
    }
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  private receive(data: unknown): void {
    const bytes = toBytes(data);
    let frame: RelayFrame;
    try {
      if (!bytes) throw new HearthError('BAD_REQUEST', 'The relay sent a text frame.');
      frame = decodeRelayFrame(bytes);
    } catch (error) {
      this.fail(new HearthError('RECORD_TAMPERED', `The relay sent an invalid frame (${(error as Error).message}); disconnected.`));
      this.socket.close(1002, 'invalid frame');
      return;
    }
    if (frame.t === 'presence') {
      const presence = { space: frame.space, doc: frame.doc, from: frame.from, payload: frame.parts[0]?.slice() };
      for (const listener of this.presenceListeners) {
        try {
          listener(presence);
        } catch {
          // One listener's trouble with an ephemeral update must not cost the connection.
        }
      }
      return;
    }
    if (frame.t === 'membershipChanged') {
      for (const listener of this.membershipListeners) {
        try {
          listener(frame.space);
        } catch {
          // A hint to catch up; the poll still runs if a listener fails.
        }
      }
      return;
    }
    if (frame.t === 'historyForgotten') {
      for (const listener of this.forgottenListeners) {
        try {
          listener({ space: frame.space, doc: frame.doc, gen: frame.gen });
        } catch {
          // A hint to pull; the next round pulls anyway.
        }
      }
      return;
    }
    if (frame.t === 'change') {
      const bytes = frame.parts[0]!.slice();
      for (const listener of this.listeners.get(`${frame.space}/${frame.doc}`) ?? []) listener({ space: frame.space, doc: frame.doc, seq: frame.seq, bytes });
      return;
    }
    const pending = frame.rid === null ? undefined : this.pending.get(frame.rid);
    if (!pending) return;
    this.pending.delete(frame.rid!);
    if (frame.t === 'error') pending.reject(new HearthError(frame.code, frame.message));
    else pending.resolve(frame);
  }

  /**
   * Sends one request and resolves with the relay's answer; an error frame rejects with its code.
   * RATE_LIMITED is not an answer: the relay refused the frame before reading it, so it is sent
   * again after a pause that every request on this connection keeps (no hammering), growing
   * while the relay keeps refusing. Callers that need order (pushes of one document) await each
   * request before the next, so a retry cannot overtake anything. Presence updates are not
   * retried.
   */
  async request(frame: Outgoing): Promise<RelayFrame> {
    // Presence is ephemeral: one refused update is simply superseded by the next.
    if (frame.t === 'presence') return this.requestOnce(frame);
    for (let attempt = 0; ; attempt++) {
      const wait = this.pausedUntil - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        const answer = await this.requestOnce(frame);
        this.rateStrikes = 0;
        return answer;
      } catch (error) {
        if (!isHearthError(error, 'RATE_LIMITED') || attempt >= RATE_LIMIT_RETRIES) throw error;
        this.rateStrikes++;
        const delay = Math.min(RATE_LIMIT_MAX_PAUSE_MS, RATE_LIMIT_PAUSE_MS * 2 ** Math.min(this.rateStrikes, 8)) * (0.75 + Math.random() / 2);
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + delay);
      }
    }
  }

  private requestOnce(frame: Outgoing): Promise<RelayFrame> {
    if (this.closedError) return Promise.reject(this.closedError);
    const rid = this.nextRid++;
    const bytes = encodeFrame({ ...frame, rid } as ClientFrame);
    return new Promise((resolve, reject) => {
      this.pending.set(rid, { resolve, reject });
      this.socket.send(bytes);
    });
  }

  private async expect<T extends RelayFrameType>(t: T, frame: Outgoing): Promise<FrameOfType<RelayFrame, T>> {
    const answer = await this.request(frame);
    if (answer.t !== t) throw new HearthError('BAD_REQUEST', `The relay answered ${frame.t} with ${answer.t}, not ${t}.`);
    return answer as FrameOfType<RelayFrame, T>;
  }

  async hello(): Promise<{ relayId: string; nonce: string }> {
    const challenge = await this.expect('challenge', { t: 'hello', protocol: PROTOCOL_VERSION, parts: [] });
    this.relayId = challenge.relayId;
    return challenge;
  }

  /**
   * Creates the account on this relay with its public profile. A device registers with the
   * account's device log (which must name it); a bare account key, without one.
   */
  async register(signer: Signer, profile: { username: string; displayName: string; avatar?: Uint8Array }): Promise<FrameOfType<RelayFrame, 'session'>> {
    const { nonce } = await this.hello();
    const account = signerAccount(signer);
    const device = isDevice(signer) ? { device: signer.device, devices: [...(signer.log ?? [])] } : {};
    const session = await this.expect('session', {
      t: 'register',
      account,
      nonce,
      signature: signAuth('register', this.relayId, nonce, account, signer.signSecretKey, isDevice(signer) ? signer.device : undefined),
      username: profile.username,
      displayName: profile.displayName,
      boxPublicKey: toBase64Url(signer.boxPublicKey),
      ...device,
      parts: profile.avatar ? [profile.avatar] : [],
    });
    this.account = account;
    return session;
  }

  async signIn(signer: Signer): Promise<FrameOfType<RelayFrame, 'session'>> {
    const { nonce } = await this.hello();
    const account = signerAccount(signer);
    const device = isDevice(signer) ? signer.device : undefined;
    const signature = signAuth('signIn', this.relayId, nonce, account, signer.signSecretKey, device);
    const session = await this.expect('session', { t: 'signIn', account, nonce, signature, ...(device ? { device } : {}), parts: [] });
    this.account = account;
    return session;
  }

  /** Appends entries to the signed-in account's device log (from its first entry, when the relay has none yet). */
  async putDevices(entries: readonly DeviceEntry[]): Promise<void> {
    await this.expect('ok', { t: 'putDevices', entries: [...entries], parts: [] });
  }

  /** An account's device log from entry `since`, as the relay has it (verify it with replayDeviceLog before trusting it). */
  async getDevices(account: string, since = 0): Promise<DeviceEntry[]> {
    return (await this.expect('devices', { t: 'getDevices', account, since, parts: [] })).entries;
  }

  /**
   * Revokes a device of this account with the new key epoch of every space it is in here (each
   * rotation: the device_revoked entry, its epoch, and that epoch's key sealed to every recipient).
   */
  async revokeDevice(
    entry: DeviceEntry,
    rotations: ReadonlyArray<{ entry: MembershipEntry; epoch: number; sealed: ReadonlyArray<{ recipient: string; envelope: Uint8Array }> }>,
  ): Promise<void> {
    await this.expect('ok', {
      t: 'revokeDevice',
      entry,
      spaces: rotations.map((r) => ({ space: r.entry.space, entry: r.entry, epoch: r.epoch, recipients: r.sealed.map((s) => s.recipient) })),
      parts: rotations.flatMap((r) => r.sealed.map((s) => s.envelope)),
    });
  }

  /** A pairing as the relay has it, with the sealed account material once approved. */
  private async pairing(frame: Outgoing): Promise<PairingState> {
    const answer = await this.expect('pairing', frame);
    return {
      pairing: answer.pairing,
      account: answer.account,
      offer: answer.offer,
      nonce: answer.nonce,
      secret: answer.secret,
      material: answer.parts[0]?.slice(),
    };
  }

  /** As a new device, not signed in: offers its keys to the account called `username` here. */
  pairOffer(username: string, offer: PairingOffer): Promise<PairingState> {
    return this.pairing({ t: 'pairOffer', username, offer, parts: [] });
  }

  /** Without a session: the account called `username`, when `device` is its active recovery key (else UNAUTHENTICATED). */
  async recoveryAccount(username: string, device: string): Promise<string> {
    return (await this.expect('recovery', { t: 'recoveryAccount', username, device, parts: [] })).account;
  }

  /** Stores the account material sealed to this account's active recovery key `device`, replacing what the relay held. */
  async putRecovery(device: string, sealed: Uint8Array): Promise<void> {
    await this.expect('ok', { t: 'putRecovery', device, parts: [sealed] });
  }

  /** Signed in as the recovery key: the account material sealed to it (NOT_FOUND when the relay holds none). */
  async getRecovery(): Promise<Uint8Array> {
    const frame = await this.expect('recovery', { t: 'getRecovery', parts: [] });
    if (!frame.parts[0]) throw new HearthError('NOT_FOUND', 'This relay holds no account material for this recovery key.');
    return frame.parts[0].slice();
  }

  /** As a new device: its pairing now (the material is collected once, then the pairing is gone). */
  pairRead(pairing: string): Promise<PairingState> {
    return this.pairing({ t: 'pairRead', pairing, parts: [] });
  }

  async pairReveal(pairing: string, secret: string): Promise<void> {
    await this.expect('ok', { t: 'pairReveal', pairing, secret, parts: [] });
  }

  /** As a device of the account: the pairings new devices offered it. */
  async pairList(): Promise<Array<Omit<PairingState, 'account' | 'material'> & { createdAt: number }>> {
    return (await this.expect('pairings', { t: 'pairList', parts: [] })).items;
  }

  async pairAnswer(pairing: string, nonce: string): Promise<void> {
    await this.expect('ok', { t: 'pairAnswer', pairing, nonce, parts: [] });
  }

  /** Sends the account sealed to the new device; without `material`, declines the pairing. */
  async pairApprove(pairing: string, material?: Uint8Array): Promise<void> {
    await this.expect('ok', { t: 'pairApprove', pairing, parts: material ? [material] : [] });
  }

  /** Sends this account's signed profile update (common/protocol/profile.ts) with its avatar; resolves to the version the relay keeps. */
  async setProfile(update: ProfileUpdate, avatar?: Uint8Array): Promise<number> {
    const answer = await this.expect('ok', { t: 'setProfile', update, parts: avatar ? [avatar] : [] });
    return answer.seq ?? update.version;
  }

  lookup(username: string): Promise<FrameOfType<RelayFrame, 'profile'>> {
    return this.expect('profile', { t: 'lookup', username, parts: [] });
  }

  /** Creates a space with its genesis entry (the signed-in identity as Owner) and returns its membership state. */
  async createSpace(identity: IdentityKeys, space: string, kind: SpaceKind): Promise<MembershipState> {
    const me = accountIdOf(identity);
    const state = emptyMembership(space);
    const genesis = signMembershipEntry(nextEntry(state, { actor: me, action: 'create', subject: me, role: 'owner' }), identity.signSecretKey);
    await this.expect('ok', { t: 'createSpace', space, kind, genesis, parts: [] });
    return applyMembershipEntry(state, genesis);
  }

  /**
   * Appends a signed membership entry. With `rotation` (a removal), the new key epoch's envelopes
   * go in the same frame and the relay stores both or neither (CONFLICT if the log moved on).
   */
  async appendMembership(entry: MembershipEntry, rotation?: { epoch: number; sealed: Array<{ recipient: string; envelope: Uint8Array }> }): Promise<string> {
    const ok = await this.expect(
      'ok',
      rotation
        ? {
            t: 'appendMembership',
            space: entry.space,
            entry,
            epoch: rotation.epoch,
            recipients: rotation.sealed.map((s) => s.recipient),
            parts: rotation.sealed.map((s) => s.envelope),
          }
        : { t: 'appendMembership', space: entry.space, entry, parts: [] },
    );
    return ok.head!;
  }

  async getMembership(space: string, since = 0): Promise<MembershipEntry[]> {
    return (await this.expect('membership', { t: 'getMembership', space, since, parts: [] })).entries;
  }

  /** As a former member: the log from `since` up to the entry that took this account out (getRemoval). */
  async getRemoval(space: string, since = 0): Promise<MembershipEntry[]> {
    return (await this.expect('membership', { t: 'getRemoval', space, since, parts: [] })).entries;
  }

  async putEnvelopes(space: string, epoch: number, sealed: Array<{ recipient: string; envelope: Uint8Array }>): Promise<void> {
    await this.expect('ok', { t: 'putEnvelopes', space, epoch, recipients: sealed.map((s) => s.recipient), parts: sealed.map((s) => s.envelope) });
  }

  /** The signed-in account's own key envelopes for a space, one per epoch. */
  async getEnvelopes(space: string): Promise<Array<{ epoch: number; envelope: Uint8Array }>> {
    const frame = await this.expect('envelopes', { t: 'getEnvelopes', space, parts: [] });
    return frame.items.map((item, i) => ({ epoch: item.epoch, envelope: frame.parts[i]!.slice() }));
  }

  async deleteSpace(space: string): Promise<void> {
    await this.expect('ok', { t: 'deleteSpace', space, parts: [] });
  }

  /** Pushes one change blob; resolves with the sequence number the relay assigned. */
  async push(space: string, doc: string, change: Uint8Array): Promise<number> {
    return (await this.expect('ok', { t: 'push', space, doc, parts: [change] })).seq!;
  }

  async pull(
    space: string,
    doc: string,
    since: number,
    limit?: number,
  ): Promise<{ snapshot: { covers: number; bytes: Uint8Array } | null; changes: Array<{ seq: number; bytes: Uint8Array }>; latest: number }> {
    const frame = await this.expect('changes', { t: 'pull', space, doc, since, ...(limit ? { limit } : {}), parts: [] });
    const offset = frame.snapshot ? 1 : 0;
    return {
      snapshot: frame.snapshot ? { covers: frame.snapshot.covers, bytes: frame.parts[0]!.slice() } : null,
      changes: frame.seqs.map((seq, i) => ({ seq, bytes: frame.parts[offset + i]!.slice() })),
      latest: frame.latest,
    };
  }

  /** Pulls page after page until the cursor reaches the latest change the relay has. */
  async pullAll(
    space: string,
    doc: string,
    since: number,
  ): Promise<{ snapshot: { covers: number; bytes: Uint8Array } | null; changes: Array<{ seq: number; bytes: Uint8Array }>; latest: number }> {
    const first = await this.pull(space, doc, since);
    const changes = [...first.changes];
    // The comment changes under a snapshot all come with it, so the next page starts after it at least.
    let cursor = Math.max(changes.at(-1)?.seq ?? since, first.snapshot?.covers ?? since);
    let latest = first.latest;
    while (cursor < latest) {
      const page = await this.pull(space, doc, cursor);
      if (page.changes.length === 0) break;
      changes.push(...page.changes);
      cursor = page.changes.at(-1)!.seq;
      latest = page.latest;
    }
    return { snapshot: first.snapshot, changes, latest };
  }

  /** Receives every change appended to the document from now on; returns an unsubscribe function. */
  async subscribe(space: string, doc: string, listener: ChangeListener): Promise<() => Promise<void>> {
    const key = `${space}/${doc}`;
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    await this.expect('ok', { t: 'subscribe', space, doc, parts: [] });
    return async () => {
      set.delete(listener);
      if (set.size === 0) {
        this.listeners.delete(key);
        await this.expect('ok', { t: 'unsubscribe', space, doc, parts: [] });
      }
    };
  }

  async putSnapshot(space: string, doc: string, covers: number, snapshot: Uint8Array): Promise<void> {
    await this.expect('ok', { t: 'putSnapshot', space, doc, covers, parts: [snapshot] });
  }

  async deleteDoc(space: string, doc: string): Promise<void> {
    await this.expect('ok', { t: 'deleteDoc', space, doc, parts: [] });
  }

  /**
   * Replaces the document's log with generation `gen`, whose first snapshot is `snapshot`, if
   * the relay's last change is still `covers`, with the document's live comments as `comments`
   * (sealed comment changes of generation `gen`); resolves with the snapshot's sequence number.
   */
  async forgetHistory(space: string, doc: string, gen: number, covers: number, snapshot: Uint8Array, comments: readonly Uint8Array[] = []): Promise<number> {
    const carried = comments.length > 0 ? { comments: comments.length } : {};
    return (await this.expect('ok', { t: 'forgetHistory', space, doc, gen, covers, ...carried, parts: [snapshot, ...comments] })).seq!;
  }

  /** Hears the relay say a followed document's history was forgotten (protocol 4). Returns a function that stops it. */
  onHistoryForgotten(listener: (forgotten: { space: string; doc: string; gen: number }) => void): () => void {
    this.forgottenListeners.add(listener);
    return () => this.forgottenListeners.delete(listener);
  }

  fileBegin(space: string, file: string, size: number, chunkSize: number): Promise<FrameOfType<RelayFrame, 'fileStatus'>> {
    return this.expect('fileStatus', { t: 'fileBegin', space, file, size, chunkSize, parts: [] });
  }

  fileStatus(space: string, file: string): Promise<FrameOfType<RelayFrame, 'fileStatus'>> {
    return this.expect('fileStatus', { t: 'fileStatus', space, file, parts: [] });
  }

  async fileChunk(space: string, file: string, index: number, chunk: Uint8Array): Promise<void> {
    await this.expect('ok', { t: 'fileChunk', space, file, index, parts: [chunk] });
  }

  async fileGet(space: string, file: string, index: number): Promise<Uint8Array> {
    return (await this.expect('fileData', { t: 'fileGet', space, file, index, parts: [] })).parts[0]!.slice();
  }

  async fileDelete(space: string, file: string): Promise<void> {
    await this.expect('ok', { t: 'fileDelete', space, file, parts: [] });
  }

  /** Publishes a link's copy; naming `doc` lets the relay drop the link when that document is deleted. */
  async linkCreate(space: string, link: string, ciphertext: Uint8Array, expiresAt: number | null = null, doc?: string): Promise<void> {
    await this.expect('ok', { t: 'linkCreate', space, link, expiresAt, ...(doc ? { doc } : {}), parts: [ciphertext] });
  }

  async linkRevoke(space: string, link: string): Promise<void> {
    await this.expect('ok', { t: 'linkRevoke', space, link, parts: [] });
  }

  /** Sends a sealed presence update for a document; the relay forwards it and stores nothing. */
  async sendPresence(space: string, doc: string, payload: Uint8Array): Promise<void> {
    await this.expect('ok', { t: 'presence', space, doc, parts: [payload] });
  }

  /** Receives the presence updates the relay forwards on this connection; returns a function that stops it. */
  onPresence(listener: PresenceListener): () => void {
    this.presenceListeners.add(listener);
    return () => this.presenceListeners.delete(listener);
  }

  /** Called once when the connection closes (or is closed for an invalid frame). */
  /**
   * Hears the relay say a space's membership log or key envelopes changed (protocol 2; sent only
   * while this connection follows a document of the space). Returns a function that stops it.
   */
  onMembershipChanged(listener: (space: string) => void): () => void {
    this.membershipListeners.add(listener);
    return () => this.membershipListeners.delete(listener);
  }

  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Everything the relay holds about the signed-in account (right of access). */
  async access(): Promise<{ report: AccessReport; avatar: Uint8Array | undefined }> {
    const frame = await this.expect('access', { t: 'access', parts: [] });
    return { report: frame.report, avatar: frame.parts[0]?.slice() };
  }

  async deleteAccount(): Promise<void> {
    await this.expect('ok', { t: 'deleteAccount', parts: [] });
  }
}
