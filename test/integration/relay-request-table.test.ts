// The relay's request table (sync-server/requests/table.ts) against the role rules: every request
// type of the protocol declares a role check; for each request, the rule it declares from
// common/roles.ts, DESIGN.md's role table (written out below, not derived) and the relay's real
// answer through a socket, for each of the five roles, must all agree.
import { signProfileUpdate } from '../../common/protocol/profile.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys } from '../../common/crypto/identity.ts';
import { newId, randomBytes, toBase64Url } from '../../common/crypto/sodium.ts';
import { applyDeviceEntry, emptyDeviceLog, nextDeviceEntry, signDeviceEntry } from '../../common/devices/log.ts';
import { nextEntry, signMembershipEntry } from '../../common/membership/log.ts';
import { clientFrames, type ClientFrameType } from '../../common/protocol/messages.ts';
import { canChangeComment, canPush, canSetRole, canTransferOwnership, Roles, type ChangeKind, type CommentOp, type Role } from '../../common/roles.ts';
import { spaceRules, type RoleCheck, type SpaceRule } from '../../sync-server/requests/request.ts';
import { requestTable } from '../../sync-server/requests/table.ts';
import {
  changeMembership,
  connect,
  createSpace,
  envelopeFor,
  outcome,
  register,
  sealedChange,
  spaceWithRole,
  startTestRelay,
  type Person,
  type TestRelay,
  type TestSpace,
} from './relay-fixture.ts';

// DESIGN.md, "Roles": who may do what, column by column.
const design = {
  read: ['owner', 'admin', 'editor', 'commenter', 'viewer'],
  'write & edit': ['owner', 'admin', 'editor'],
  'delete content': ['owner', 'admin'],
  comment: ['owner', 'admin', 'editor', 'commenter'],
  'manage members & links': ['owner', 'admin'],
  // "Admin: yes (not over Owners)"
  'manage an Owner': ['owner'],
  'transfer ownership, delete workspace': ['owner'],
} satisfies Record<string, Role[]>;
type Column = keyof typeof design;

interface World {
  space: TestSpace;
  me: Person;
  /** An Owner other than `me`. */
  owner: Person;
  /** An Editor other than `me`. */
  bystander: Person;
  /** A begun upload with its only chunk missing, and an active link, both made by the Owner. */
  pendingFile: string;
  link: string;
}

/** One request sent as a member of a space. */
interface SpaceProbe {
  name: string;
  column: Column;
  /** What the request's declared check needs to know beyond the role: the change kind (and for a comment, the operation and whether `me` wrote it), or the entry's roles. */
  subject?: { kind: ChangeKind; op?: CommentOp; wroteIt?: boolean } | { from: Role | undefined; to: Role | undefined } | 'transfer';
  send(world: World): Promise<unknown>;
}

const membershipEntry = (world: World, action: 'add' | 'change_role' | 'remove' | 'transfer', subject: string, role: Role | null) =>
  changeMembership(world.space, world.me, action, subject, role);

/**
 * The handshake proves who is speaking, so it is open to anyone; so are a new device's pairing
 * steps, which hold no key of the account yet (a pairing's random id is their capability).
 */
type Handshake = 'hello' | 'register' | 'signIn' | 'pairOffer' | 'pairRead' | 'pairReveal' | 'recoveryAccount';
/** The requests that need a session and no role in a space. */
type AccountRequest =
  | 'lookup'
  | 'createSpace'
  | 'unsubscribe'
  | 'access'
  | 'deleteAccount'
  | 'putDevices'
  | 'getDevices'
  | 'revokeDevice'
  | 'pairList'
  | 'pairAnswer'
  | 'pairApprove'
  | 'putRecovery'
  | 'getRecovery'
  | 'setProfile';
/** A former member's read of the log up to its own removal: no role, by definition (tested on its own below). */
type FormerMemberRequest = 'getRemoval';
type SpaceRequest = Exclude<ClientFrameType, Handshake | AccountRequest | FormerMemberRequest>;
const handshake: readonly ClientFrameType[] = ['hello', 'register', 'signIn', 'pairOffer', 'pairRead', 'pairReveal', 'recoveryAccount'] satisfies Handshake[];

// Every other request type, with the probes that exercise it. A full record, so a new request
// type does not typecheck here until someone decides which row of the role table it belongs to.
const spaceProbes: Record<SpaceRequest, SpaceProbe[]> = {
  appendMembership: [
    {
      name: 'add a Viewer',
      column: 'manage members & links',
      subject: { from: undefined, to: 'viewer' },
      send: (w) => membershipEntry(w, 'add', toBase64Url(generateIdentityKeys().signPublicKey), 'viewer'),
    },
    {
      name: 'make an Editor a Viewer',
      column: 'manage members & links',
      subject: { from: 'editor', to: 'viewer' },
      send: (w) => membershipEntry(w, 'change_role', w.bystander.id, 'viewer'),
    },
    {
      name: 'remove an Editor',
      column: 'manage members & links',
      subject: { from: 'editor', to: undefined },
      send: (w) => membershipEntry(w, 'remove', w.bystander.id, null),
    },
    {
      name: 'make an Owner an Admin',
      column: 'manage an Owner',
      subject: { from: 'owner', to: 'admin' },
      send: (w) => membershipEntry(w, 'change_role', w.owner.id, 'admin'),
    },
    {
      name: 'transfer ownership',
      column: 'transfer ownership, delete workspace',
      subject: 'transfer',
      send: (w) => membershipEntry(w, 'transfer', w.bystander.id, 'owner'),
    },
  ],
  getMembership: [{ name: 'read the membership log', column: 'read', send: (w) => w.me.client.getMembership(w.space.id) }],
  putEnvelopes: [
    {
      name: 'hand out a key envelope',
      column: 'manage members & links',
      send: (w) => w.me.client.putEnvelopes(w.space.id, 1, [envelopeFor(w.space, w.me, w.bystander, 1)]),
    },
  ],
  getEnvelopes: [{ name: 'fetch key envelopes', column: 'read', send: (w) => w.me.client.getEnvelopes(w.space.id) }],
  deleteSpace: [{ name: 'delete the space', column: 'transfer ownership, delete workspace', send: (w) => w.me.client.deleteSpace(w.space.id) }],
  push: [
    {
      name: 'push content',
      column: 'write & edit',
      subject: { kind: 'content' },
      send: (w) => w.me.client.push(w.space.id, 'doc', sealedChange(w.space, w.me, 'doc', 'edit')),
    },
    {
      name: 'push a comment',
      column: 'comment',
      subject: { kind: 'comment', op: 'write', wroteIt: true },
      send: (w) => w.me.client.push(w.space.id, 'doc', sealedChange(w.space, w.me, 'doc', 'note', 'comment')),
    },
    {
      name: "resolve another Owner's thread",
      column: 'write & edit',
      subject: { kind: 'comment', op: 'resolve', wroteIt: false },
      send: (w) => w.me.client.push(w.space.id, 'doc', sealedChange(w.space, w.me, 'doc', 'resolved', 'comment', { id: 'thread0', op: 'resolve' })),
    },
    {
      name: "delete another Owner's comment",
      column: 'delete content',
      subject: { kind: 'comment', op: 'delete', wroteIt: false },
      send: (w) => w.me.client.push(w.space.id, 'doc', sealedChange(w.space, w.me, 'doc', 'gone', 'comment', { id: 'thread0', op: 'delete' })),
    },
  ],
  pull: [{ name: 'pull a document', column: 'read', send: (w) => w.me.client.pull(w.space.id, 'doc', 0) }],
  subscribe: [{ name: 'follow a document', column: 'read', send: (w) => w.me.client.subscribe(w.space.id, 'doc', () => undefined) }],
  putSnapshot: [
    {
      name: 'write a snapshot',
      column: 'write & edit',
      send: (w) => w.me.client.putSnapshot(w.space.id, 'doc', 1, sealedChange(w.space, w.me, 'doc', 'snap', 'snapshot')),
    },
  ],
  deleteDoc: [{ name: 'delete a document', column: 'delete content', send: (w) => w.me.client.deleteDoc(w.space.id, 'doc') }],
  // Forgetting a document's edit history deletes content (what the old generation held); the
  // world's document holds two changes (the Owner's and the co-Owner's thread), so it covers 2.
  forgetHistory: [
    {
      name: "forget a document's edit history",
      column: 'delete content',
      send: (w) => w.me.client.forgetHistory(w.space.id, 'doc', 1, 2, sealedChange(w.space, w.me, 'doc', 'state only', 'snapshot', undefined, 1)),
    },
  ],
  fileBegin: [{ name: 'begin an upload', column: 'write & edit', send: (w) => w.me.client.fileBegin(w.space.id, newId(), 2048, 1024) }],
  fileChunk: [{ name: 'upload a chunk', column: 'write & edit', send: (w) => w.me.client.fileChunk(w.space.id, w.pendingFile, 0, randomBytes(100)) }],
  fileStatus: [{ name: 'ask for an upload status', column: 'read', send: (w) => w.me.client.fileStatus(w.space.id, 'file0') }],
  fileGet: [{ name: 'download a chunk', column: 'read', send: (w) => w.me.client.fileGet(w.space.id, 'file0', 0) }],
  fileDelete: [{ name: 'delete a file', column: 'delete content', send: (w) => w.me.client.fileDelete(w.space.id, 'file0') }],
  linkCreate: [
    { name: 'create a public link', column: 'manage members & links', send: (w) => w.me.client.linkCreate(w.space.id, newId(), randomBytes(64), null, 'doc') },
  ],
  linkRevoke: [{ name: 'revoke a public link', column: 'manage members & links', send: (w) => w.me.client.linkRevoke(w.space.id, w.link) }],
  presence: [{ name: 'share presence', column: 'read', send: (w) => w.me.client.sendPresence(w.space.id, 'doc', randomBytes(32)) }],
};

/** The requests that need no role in a space, and why; each is sent by a signed-in account that is a member of nothing. */
const accountProbes: Record<AccountRequest, (me: Person) => Promise<unknown>> = {
  lookup: (me) => me.client.lookup(me.username),
  // The space does not exist yet: the genesis entry makes its sender the Owner.
  createSpace: (me) => me.client.createSpace(me.keys, newId(), 'workspace'),
  // Stopping to follow a document is open to anyone signed in, a removed member included.
  unsubscribe: (me) => me.client.request({ t: 'unsubscribe', space: newId(), doc: 'doc', parts: [] }),
  access: (me) => me.client.access(),
  deleteAccount: (me) => me.client.deleteAccount(),
  // The account's own device log (its first entry signed by the account key, naming a first device).
  putDevices: (me) => me.client.putDevices([firstDeviceEntry(me.id, me.keys.signSecretKey)]),
  // Anyone's device log, as anyone's profile: members seal keys to each other's devices.
  getDevices: (me) => me.client.getDevices(me.id),
  // The account's own pairings: listing them, answering one a new device offered, declining it.
  pairList: (me) => me.client.pairList(),
  pairAnswer: async (me) => me.client.pairAnswer((await offerTo(me)).pairing, toBase64Url(randomBytes(32))),
  pairApprove: async (me) => me.client.pairApprove((await offerTo(me)).pairing),
  // A device of the account stores the material sealed to the account's own recovery key; only that recovery key fetches it.
  putRecovery: async (me) => {
    const { client, paper } = await withRecoveryKey(me, 'device');
    await client.putRecovery(paper, randomBytes(100));
    client.close();
  },
  getRecovery: async (me) => {
    const { client } = await withRecoveryKey(me, 'recovery');
    await client.getRecovery();
    client.close();
  },
  // One of the account's own devices revokes another (in no space here, so with no key epochs).
  revokeDevice: async (me) => {
    const [laptop, desktop] = [generateIdentityKeys(), generateIdentityKeys()];
    const first = firstDeviceEntry(me.id, me.keys.signSecretKey, laptop);
    let state = applyDeviceEntry(emptyDeviceLog(me.id), first);
    const add = signDeviceEntry(
      nextDeviceEntry(state, {
        action: 'add',
        device: toBase64Url(desktop.signPublicKey),
        box: toBase64Url(desktop.boxPublicKey),
        kind: 'device',
        name: 'Desktop',
        by: toBase64Url(laptop.signPublicKey),
      }),
      laptop.signSecretKey,
    );
    state = applyDeviceEntry(state, add);
    await me.client.putDevices([first, add]);
    const onLaptop = await connect(relay.url);
    await onLaptop.signIn({
      account: me.id,
      device: toBase64Url(laptop.signPublicKey),
      signSecretKey: laptop.signSecretKey,
      boxPublicKey: laptop.boxPublicKey,
    });
    await onLaptop.revokeDevice(
      signDeviceEntry(
        nextDeviceEntry(state, { action: 'revoke', device: toBase64Url(desktop.signPublicKey), by: toBase64Url(laptop.signPublicKey) }),
        laptop.signSecretKey,
      ),
      [],
    );
    onLaptop.close();
  },
  // The account's own profile, signed by one of its devices (put in its device log first).
  setProfile: async (me) => {
    const laptop = generateIdentityKeys();
    await me.client.putDevices([firstDeviceEntry(me.id, me.keys.signSecretKey, laptop)]);
    const fields = { account: me.id, device: toBase64Url(laptop.signPublicKey), version: 1, username: me.username, displayName: 'Renamed', avatar: null };
    return me.client.setProfile(signProfileUpdate(fields, laptop.signSecretKey));
  },
};

/**
 * `me`'s account with a device log of a device and a recovery key, the sealed material (random
 * bytes here) stored for it, and a client signed in as `as`.
 */
async function withRecoveryKey(me: Person, as: 'device' | 'recovery') {
  const [laptop, paper] = [generateIdentityKeys(), generateIdentityKeys()];
  const first = firstDeviceEntry(me.id, me.keys.signSecretKey, laptop);
  const add = signDeviceEntry(
    nextDeviceEntry(applyDeviceEntry(emptyDeviceLog(me.id), first), {
      action: 'add',
      device: toBase64Url(paper.signPublicKey),
      box: toBase64Url(paper.boxPublicKey),
      kind: 'recovery',
      name: 'Recovery key',
      by: toBase64Url(laptop.signPublicKey),
    }),
    laptop.signSecretKey,
  );
  await me.client.putDevices([first, add]);
  const signIn = async (keys: typeof laptop) => {
    const client = await connect(relay.url);
    await client.signIn({ account: me.id, device: toBase64Url(keys.signPublicKey), signSecretKey: keys.signSecretKey, boxPublicKey: keys.boxPublicKey });
    return client;
  };
  const onLaptop = await signIn(laptop);
  await onLaptop.putRecovery(toBase64Url(paper.signPublicKey), randomBytes(200));
  if (as === 'device') return { client: onLaptop, paper: toBase64Url(paper.signPublicKey) };
  onLaptop.close();
  return { client: await signIn(paper), paper: toBase64Url(paper.signPublicKey) };
}

/** A new device's pairing offer to `me`'s account. */
async function offerTo(me: Person) {
  const device = generateIdentityKeys();
  const client = await connect(relay.url);
  const offered = await client.pairOffer(me.username, {
    device: toBase64Url(device.signPublicKey),
    box: toBase64Url(device.boxPublicKey),
    name: 'New',
    commit: '0'.repeat(64),
  });
  client.close();
  return offered;
}

function firstDeviceEntry(account: string, accountSecretKey: Uint8Array, device = generateIdentityKeys()) {
  const fields = {
    action: 'create' as const,
    device: toBase64Url(device.signPublicKey),
    box: toBase64Url(device.boxPublicKey),
    kind: 'device' as const,
    name: 'Laptop',
    by: account,
  };
  return signDeviceEntry(nextDeviceEntry(emptyDeviceLog(account), fields), accountSecretKey);
}

/** What the declared check says, by common/roles.ts, about `role` doing `probe`. */
function declaredAllows(check: RoleCheck, probe: SpaceProbe, role: Role): boolean {
  if (check in spaceRules) return spaceRules[check as SpaceRule](role);
  const subject = probe.subject;
  if (check === 'canPush(change)' && subject && typeof subject === 'object' && 'kind' in subject) {
    if (!canPush(role, subject.kind, subject.op)) return false;
    return subject.kind !== 'comment' || canChangeComment(role, subject.op!, subject.wroteIt!);
  }
  if (check === 'canSetRole(entry)' && subject === 'transfer') return canTransferOwnership(role);
  if (check === 'canSetRole(entry)' && subject && typeof subject === 'object' && 'from' in subject) return canSetRole(role, subject.from, subject.to);
  throw new Error(`The probe "${probe.name}" does not say what the ${check} check needs to know.`);
}

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(() => relay.stop());

describe('the request table', () => {
  const types = Object.keys(clientFrames) as ClientFrameType[];

  it('has an entry with a declared role check for every request type of the protocol, and no other', () => {
    expect(Object.keys(requestTable).sort()).toEqual([...types].sort());
    const known = new Set<string>(['none', 'signedIn', 'canPush(change)', 'canSetRole(entry)', ...Object.keys(spaceRules)]);
    for (const type of types) expect(known.has(requestTable[type].check), `${type}: ${requestTable[type].check}`).toBe(true);
  });

  it('asks a role in the space of every request that names one, except those that need none (each probed below)', () => {
    for (const type of types) {
      const namesSpace = 'space' in clientFrames[type].schema.shape;
      const { check } = requestTable[type];
      if (handshake.includes(type)) expect(check, type).toBe('none');
      else if (type in accountProbes || type === ('getRemoval' satisfies FormerMemberRequest)) expect(check, type).toBe('signedIn');
      else {
        expect(namesSpace, type).toBe(true);
        expect(check, type).not.toMatch(/^(none|signedIn)$/);
        expect(spaceProbes[type as SpaceRequest], `${type} has no probe in this test`).toBeDefined();
      }
    }
  });

  it("declares, for each request, a rule of common/roles.ts that says what DESIGN.md's role table says", () => {
    const disagreements: string[] = [];
    for (const [type, probes] of Object.entries(spaceProbes)) {
      const { check } = requestTable[type as ClientFrameType];
      for (const probe of probes) {
        const declared = Roles.filter((role) => declaredAllows(check, probe, role));
        if (declared.join() !== design[probe.column].join())
          disagreements.push(`${type} (${probe.name}): ${check} allows ${declared.join(', ')}; DESIGN.md: ${design[probe.column].join(', ')}`);
      }
    }
    expect(disagreements).toEqual([]);
  });

  for (const role of Roles) {
    it(`refuses ${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role} exactly what DESIGN.md refuses, for every request that names a space (through a socket)`, async () => {
      const results: Record<string, string> = {};
      const expected: Record<string, string> = {};
      for (const [type, probes] of Object.entries(spaceProbes)) {
        for (const probe of probes) {
          // A fresh space per request, so one request's effect (a deletion, a transfer) cannot mask another's.
          const { space, owner, me, coOwner, bystander } = await spaceWithRole(relay.url, role);
          const pendingFile = newId();
          await owner.client.fileBegin(space.id, pendingFile, 100, 1024);
          const link = newId();
          await owner.client.linkCreate(space.id, link, randomBytes(64), null, 'doc');
          const other = role === 'owner' ? coOwner : owner;
          const key = `${type}: ${probe.name}`;
          results[key] = await outcome(probe.send({ space, me, owner: other, bystander, pendingFile, link }));
          expected[key] = (design[probe.column] as Role[]).includes(role) ? 'ok' : 'FORBIDDEN';
          for (const person of new Set([owner, me, coOwner, bystander])) person.client.close();
        }
      }
      expect(results).toEqual(expected);
    });
  }

  it('refuses every space request to a signed-in account that is not a member, and serves it the requests that need no role', async () => {
    const owner = await register(relay.url, 'owner');
    const space = await createSpace(owner);
    await owner.client.push(space.id, 'doc', sealedChange(space, owner, 'doc', 'first'));
    const link = newId();
    await owner.client.linkCreate(space.id, link, randomBytes(64), null, 'doc');
    const results: Record<string, string> = {};
    for (const [type, probes] of Object.entries(spaceProbes)) {
      for (const probe of probes) {
        const outsider = await register(relay.url, 'outsider');
        const world = { space, me: outsider, owner, bystander: owner, pendingFile: 'file0', link };
        results[`${type}: ${probe.name}`] = await outcome(probe.send(world));
        outsider.client.close();
      }
    }
    expect(Object.entries(results).filter(([, code]) => code !== 'FORBIDDEN')).toEqual([]);
    for (const [type, send] of Object.entries(accountProbes)) {
      const outsider = await register(relay.url, 'outsider');
      expect(await outcome(send(outsider)), type).toBe('ok');
      outsider.client.close();
    }
  });

  it('serves getRemoval to a former member only: the log up to its removal; never to an outsider, and a member reads getMembership', async () => {
    const owner = await register(relay.url, 'owner');
    const space = await createSpace(owner);
    const former = await register(relay.url, 'former');
    const outsider = await register(relay.url, 'outsider');
    await changeMembership(space, owner, 'add', former, 'editor');
    expect(await outcome(former.client.getRemoval(space.id))).toBe('BAD_REQUEST');
    await changeMembership(space, owner, 'remove', former, null);
    await changeMembership(space, owner, 'add', outsider, 'viewer');
    await changeMembership(space, owner, 'remove', outsider, null);
    const stranger = await register(relay.url, 'stranger');
    expect(await outcome(stranger.client.getRemoval(space.id))).toBe('FORBIDDEN');
    const entries = await former.client.getRemoval(space.id);
    // Up to and including the removal of `former`; the later entries about someone else stay hidden.
    expect(entries.at(-1)).toMatchObject({ action: 'remove', subject: former.id });
    expect(entries.some((e) => e.subject === outsider.id)).toBe(false);
    for (const person of [owner, former, outsider, stranger]) person.client.close();
  });

  it('answers every request but the handshake with UNAUTHENTICATED before sign-in, and the handshake signs in', async () => {
    const anonymous = await connect(relay.url);
    const space = newId();
    for (const type of types) {
      if (handshake.includes(type)) continue;
      expect(await outcome(anonymous.request(sampleFrame(type, space) as never)), type).toBe('UNAUTHENTICATED');
    }
    const keys = generateIdentityKeys();
    await anonymous.register(keys, { username: `anon-${process.pid}`, displayName: 'Anon' });
    const again = await connect(relay.url);
    expect(await outcome(again.signIn(keys))).toBe('ok');
    anonymous.close();
    again.close();
  });
});

/** A well-formed frame of `type` (without rid), good enough to reach the role check. */
function sampleFrame(type: ClientFrameType, space: string): Record<string, unknown> {
  const account = toBase64Url(generateIdentityKeys().signPublicKey);
  const genesis = signMembershipEntry(
    nextEntry({ space, members: new Map(), head: null, nextSeq: 0 }, { actor: account, action: 'create', subject: account, role: 'owner' }),
    generateIdentityKeys().signSecretKey,
  );
  const samples: Record<Exclude<ClientFrameType, Handshake>, Record<string, unknown>> = {
    lookup: { username: 'someone' },
    createSpace: { space, kind: 'workspace', genesis },
    appendMembership: { space, entry: genesis },
    getMembership: { space, since: 0 },
    getRemoval: { space, since: 0 },
    putEnvelopes: { space, epoch: 0, recipients: [account], parts: [randomBytes(100)] },
    getEnvelopes: { space },
    deleteSpace: { space },
    push: { space, doc: 'doc', parts: [randomBytes(100)] },
    pull: { space, doc: 'doc', since: 0 },
    subscribe: { space, doc: 'doc' },
    unsubscribe: { space, doc: 'doc' },
    putSnapshot: { space, doc: 'doc', covers: 0, parts: [randomBytes(100)] },
    deleteDoc: { space, doc: 'doc' },
    forgetHistory: { space, doc: 'doc', gen: 1, covers: 0, parts: [randomBytes(100)] },
    fileBegin: { space, file: 'f', size: 10, chunkSize: 1024 },
    fileChunk: { space, file: 'f', index: 0, parts: [randomBytes(10)] },
    fileStatus: { space, file: 'f' },
    fileGet: { space, file: 'f', index: 0 },
    fileDelete: { space, file: 'f' },
    linkCreate: { space, link: newId(), expiresAt: null, parts: [randomBytes(10)] },
    linkRevoke: { space, link: newId() },
    presence: { space, doc: 'doc', parts: [randomBytes(10)] },
    access: {},
    deleteAccount: {},
    putDevices: { entries: [firstDeviceEntry(account, generateIdentityKeys().signSecretKey)] },
    getDevices: { account, since: 0 },
    pairList: {},
    pairAnswer: { pairing: 'pairing', nonce: account },
    pairApprove: { pairing: 'pairing' },
    putRecovery: { device: account, parts: [randomBytes(10)] },
    getRecovery: {},
    revokeDevice: {
      entry: signDeviceEntry(
        nextDeviceEntry(emptyDeviceLog(account), { action: 'revoke', device: account, by: account }),
        generateIdentityKeys().signSecretKey,
      ),
      spaces: [],
    },
    setProfile: {
      update: signProfileUpdate(
        { account, device: account, version: 1, username: 'someone', displayName: 'Someone', avatar: null },
        generateIdentityKeys().signSecretKey,
      ),
    },
  };
  return { t: type, parts: [], ...samples[type as Exclude<ClientFrameType, Handshake>] };
}
