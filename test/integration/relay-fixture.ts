/**
 * What the relay tests share: a relay on a temp folder with its log captured, real clients over
 * real sockets, and people who create spaces and write sealed, signed changes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { generateIdentityKeys, type IdentityKeys } from '../../common/crypto/identity.ts';
import { loadSodium, newId, randomBytes, randomKey, toBase64Url, utf8 } from '../../common/crypto/sodium.ts';
import { applyMembershipEntry, nextEntry, signMembershipEntry, type MembershipAction, type MembershipState } from '../../common/membership/log.ts';
import { sealChange } from '../../common/protocol/change.ts';
import { sealEnvelope } from '../../common/protocol/envelope.ts';
import { RelayClient, type WebSocketLike } from '../../common/protocol/client.ts';
import type { ChangeKind, CommentOp, Role } from '../../common/roles.ts';
import { startDeviceLog } from '../support/device-log.ts';
import { startRelay, type RelayOptions, type RunningRelay } from '../../sync-server/relay.ts';

export interface TestRelay extends RunningRelay {
  dataDir: string;
  logLines: string[];
  stop(): Promise<void>;
}

export async function startTestRelay(options: Partial<RelayOptions> = {}): Promise<TestRelay> {
  await loadSodium();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hearth-relay-'));
  const logLines: string[] = [];
  const relay = await startRelay({ port: 0, dataDir, log: (line) => logLines.push(line), ...options });
  return {
    ...relay,
    dataDir,
    logLines,
    async stop() {
      await relay.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function createSocket(url: string): WebSocketLike {
  return new WebSocket(url) as unknown as WebSocketLike;
}

export function connect(url: string): Promise<RelayClient> {
  return RelayClient.connect(url, createSocket);
}

export interface Person {
  keys: IdentityKeys;
  id: string;
  username: string;
  client: RelayClient;
}

let counter = 0;

/** Registers a new account on the relay and returns it signed in. */
export async function register(url: string, name = 'user', avatar?: Uint8Array): Promise<Person> {
  const keys = generateIdentityKeys();
  const username = `${name}-${process.pid}-${++counter}`.toLowerCase().slice(0, 32);
  const client = await connect(url);
  await client.register(keys, { username, displayName: `${name} display`, ...(avatar ? { avatar } : {}) });
  return { keys, id: toBase64Url(keys.signPublicKey), username, client };
}

/** Gives a bare account a device log naming one device (as Hearth does at registration), so Hearth invites it. */
export function giveDeviceLog(person: Person): Promise<IdentityKeys> {
  return startDeviceLog(person.client, person.keys);
}

/** A space as its owner's client sees it: membership state and the key of epoch 0. */
export interface TestSpace {
  id: string;
  state: MembershipState;
  key: Uint8Array;
}

export async function createSpace(owner: Person, kind: 'workspace' | 'document' = 'workspace'): Promise<TestSpace> {
  const id = newId();
  const state = await owner.client.createSpace(owner.keys, id, kind);
  return { id, state, key: randomKey() };
}

/** `actor` signs a membership entry and appends it; the space's state moves on. */
export async function changeMembership(space: TestSpace, actor: Person, action: MembershipAction, subject: Person | string, role: Role | null): Promise<void> {
  const subjectId = typeof subject === 'string' ? subject : subject.id;
  const entry = signMembershipEntry(nextEntry(space.state, { actor: actor.id, action, subject: subjectId, role }), actor.keys.signSecretKey);
  await actor.client.appendMembership(entry);
  space.state = applyMembershipEntry(space.state, entry);
}

/** A change sealed with the space's key; a comment change writes a new thread unless `comment` says otherwise; `gen` for a document whose history was forgotten. */
export function sealedChange(
  space: TestSpace,
  author: Person,
  doc: string,
  text: string,
  kind: ChangeKind = 'content',
  comment?: { id: string; thread?: string; op: CommentOp },
  gen = 0,
): Uint8Array {
  const id = comment?.id ?? newId();
  const named = kind === 'comment' ? { comment: { id, thread: comment?.thread ?? id, op: comment?.op ?? 'write' } } : {};
  return sealChange(
    { space: space.id, doc, kind, epoch: 0, head: space.state.head!, author: author.id, id: newId(), at: Date.now(), ...named, ...(gen > 0 ? { gen } : {}) },
    utf8(text),
    space.key,
    author.keys.signSecretKey,
  );
}

/**
 * A space whose Owner wrote a document ('doc') and a one-chunk file ('file0'), with a second Owner
 * who started a comment thread on it ('thread0'), `me` in `role` (the Owner itself for 'owner') and an Editor.
 */
export async function spaceWithRole(url: string, role: Role): Promise<{ space: TestSpace; owner: Person; me: Person; coOwner: Person; bystander: Person }> {
  const owner = await register(url, 'owner');
  const me = role === 'owner' ? owner : await register(url, role);
  const bystander = await register(url, 'bystander');
  const coOwner = await register(url, 'coowner');
  const space = await createSpace(owner);
  await changeMembership(space, owner, 'add', coOwner, 'owner');
  if (me !== owner) await changeMembership(space, owner, 'add', me, role);
  await changeMembership(space, owner, 'add', bystander, 'editor');
  await owner.client.push(space.id, 'doc', sealedChange(space, owner, 'doc', 'first'));
  await owner.client.fileBegin(space.id, 'file0', 100, 1024);
  await owner.client.fileChunk(space.id, 'file0', 0, randomBytes(100));
  await coOwner.client.push(space.id, 'doc', sealedChange(space, coOwner, 'doc', 'a thread', 'comment', { id: 'thread0', op: 'write' }));
  return { space, owner, me, coOwner, bystander };
}

/** Resolves with the code of a rejected call, or 'ok'. */
export async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? 'crash';
  }
}

/** A key envelope for `recipient`, signed by `sender`; `key` defaults to the space key. */
export function envelopeFor(
  space: TestSpace,
  sender: Person,
  recipient: Person,
  epoch = 0,
  key: Uint8Array = space.key,
): { recipient: string; envelope: Uint8Array } {
  return {
    recipient: recipient.id,
    envelope: sealEnvelope({ space: space.id, epoch, recipient: recipient.id, recipientBoxPublicKey: recipient.keys.boxPublicKey, key, sender: sender.keys }),
  };
}

/** Writes a one-day self-signed certificate for 127.0.0.1 (EC P-256) and its key, as PEM files, with openssl. */
export function selfSignedCertificate(certFile: string, keyFile: string): void {
  const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    ...subject,
    '-days',
    '1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ];
  execFileSync('openssl', args, { stdio: 'ignore' });
}
