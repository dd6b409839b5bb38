// S1 and S6 at the relay. Marker strings go through every feature inside ciphertext; then every
// byte the relay stored (database, WAL, log) and every frame it received is scanned for them.
// Deleting a space or an account must leave none of its bytes in the relay's files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { newId, randomBytes, seal, utf8 } from '../../common/crypto/sodium.ts';
import { RelayClient, type WebSocketLike } from '../../common/protocol/client.ts';
import { sealLink } from '../../common/protocol/link.ts';
import { changeMembership, createSpace, envelopeFor, outcome, register, sealedChange, startTestRelay, type Person, type TestRelay } from './relay-fixture.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function storedBytes(relay: TestRelay): Buffer {
  return Buffer.concat([...filesUnder(relay.dataDir).map((f) => readFileSync(f)), Buffer.from(relay.logLines.join('\n'))]);
}

/** Every way a marker could appear in clear: UTF-8, UTF-16, hex, base64. */
function exposures(haystack: Buffer, marker: string): string[] {
  const forms: Record<string, Buffer> = {
    utf8: Buffer.from(marker, 'utf8'),
    utf16: Buffer.from(marker, 'utf16le'),
    hex: Buffer.from(Buffer.from(marker).toString('hex')),
    base64: Buffer.from(Buffer.from(marker).toString('base64').slice(0, -4)),
  };
  return Object.entries(forms)
    .filter(([, needle]) => haystack.includes(needle))
    .map(([form]) => form);
}

describe('S1: the relay never sees content', () => {
  let relay: TestRelay;
  const frames: Buffer[] = [];
  beforeAll(async () => {
    relay = await startTestRelay();
  });
  afterAll(() => relay.stop());

  function recordingSocket(url: string): WebSocketLike {
    const socket = new WebSocket(url);
    const send = socket.send.bind(socket);
    socket.send = ((data: Uint8Array) => {
      frames.push(Buffer.from(data));
      send(data);
    }) as typeof socket.send;
    return socket as unknown as WebSocketLike;
  }

  it('finds no marker in storage, logs or received frames after every feature is used', async () => {
    const marker = (what: string) => `MARKER-${what}-${newId()}`;
    const markers = {
      title: marker('title'),
      body: marker('body'),
      comment: marker('comment'),
      snapshot: marker('snapshot'),
      fileName: marker('filename'),
      fileBytes: marker('filebytes'),
      linkTitle: marker('linktitle'),
      linkBody: marker('linkbody'),
      envelope: marker('envelope'),
    };
    const people: Person[] = [];
    for (const name of ['ann', 'bob']) {
      const person = await register(relay.url, name);
      person.client.close();
      // Re-connect through a socket that records every frame the relay receives.
      person.client = await RelayClient.connect(relay.url, recordingSocket);
      await person.client.signIn(person.keys);
      people.push(person);
    }
    const [ann, bob] = people as [Person, Person];
    await ann.client.lookup(bob.username);
    const space = await createSpace(ann);
    await changeMembership(space, ann, 'add', bob, 'editor');
    await ann.client.putEnvelopes(space.id, 0, [envelopeFor(space, ann, ann, 0, utf8(markers.envelope)), envelopeFor(space, ann, bob)]);
    await bob.client.getEnvelopes(space.id);
    await bob.client.subscribe(space.id, 'doc', () => undefined);
    for (let i = 0; i < 5; i++)
      await ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', `{"title":"${markers.title}","body":"${markers.body} ${i}"}`));
    await bob.client.push(space.id, 'doc', sealedChange(space, bob, 'doc', markers.comment, 'comment'));
    await bob.client.putSnapshot(space.id, 'doc', 3, sealedChange(space, bob, 'doc', `${markers.snapshot} ${markers.title}`, 'snapshot'));
    await bob.client.pull(space.id, 'doc', 0);
    const fileBytes = utf8(`name=${markers.fileName}\n${markers.fileBytes}`.repeat(40));
    const sealedFile = seal(space.key, fileBytes, utf8(`file:${space.id}:f1`));
    await bob.client.fileBegin(space.id, 'f1', sealedFile.length, 1024);
    for (let i = 0; i * 1024 < sealedFile.length; i++) await bob.client.fileChunk(space.id, 'f1', i, sealedFile.subarray(i * 1024, (i + 1) * 1024));
    await ann.client.fileGet(space.id, 'f1', 0);
    const link = newId();
    await ann.client.linkCreate(space.id, link, (await sealLink(link, { title: markers.linkTitle, text: markers.linkBody })).ciphertext);
    await fetch(new URL(`/p/${link}`, relay.httpUrl));
    await fetch(new URL(`/p/${link}/data`, relay.httpUrl));
    await ann.client.access();

    const haystacks = { storage: storedBytes(relay), frames: Buffer.concat(frames) };
    // The scan is live: public profile data is visible in both (so it would see a marker too).
    expect(haystacks.storage.includes(ann.username)).toBe(true);
    expect(haystacks.frames.includes(space.id)).toBe(true);
    expect(haystacks.frames.length).toBeGreaterThan(fileBytes.length);
    const found: string[] = [];
    for (const [where, haystack] of Object.entries(haystacks)) {
      for (const [name, value] of Object.entries(markers)) for (const form of exposures(haystack, value)) found.push(`${name} in ${where} as ${form}`);
    }
    expect(found).toEqual([]);

    await relay.close();
    const afterShutdown = storedBytes(relay);
    for (const value of Object.values(markers)) expect(exposures(afterShutdown, value)).toEqual([]);
  });
});

describe('S6: deletion at the relay leaves nothing readable', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startTestRelay();
  });
  afterAll(() => relay.stop());

  /** A fragment of ciphertext that appears nowhere else: if the scan finds it, the bytes survived. */
  const fragment = (bytes: Uint8Array) => Buffer.from(bytes.subarray(bytes.length - 48, bytes.length - 16));

  it('deleting a space removes its changes, snapshots, files, links and envelopes from the files', async () => {
    const ann = await register(relay.url, 'ann');
    const space = await createSpace(ann);
    const change = sealedChange(space, ann, 'doc', 'to be deleted');
    await ann.client.push(space.id, 'doc', change);
    const snapshot = sealedChange(space, ann, 'doc2', 'snap', 'snapshot');
    await ann.client.push(space.id, 'doc2', sealedChange(space, ann, 'doc2', 'x'));
    await ann.client.putSnapshot(space.id, 'doc2', 1, snapshot);
    const chunk = randomBytes(3000);
    await ann.client.fileBegin(space.id, 'f', chunk.length, 4096);
    await ann.client.fileChunk(space.id, 'f', 0, chunk);
    const linkBytes = randomBytes(200);
    await ann.client.linkCreate(space.id, 'l', linkBytes);
    const { envelope } = envelopeFor(space, ann, ann);
    await ann.client.putEnvelopes(space.id, 0, [{ recipient: ann.id, envelope }]);
    const pieces = [change, snapshot, chunk, linkBytes, envelope].map(fragment);
    const before = storedBytes(relay);
    expect(pieces.filter((p) => before.includes(p))).toHaveLength(pieces.length);

    await ann.client.deleteSpace(space.id);
    const after = storedBytes(relay);
    expect(pieces.filter((p) => after.includes(p))).toHaveLength(0);
    expect(await outcome(ann.client.pull(space.id, 'doc', 0))).toBe('NOT_FOUND');
  });

  it('deleting an account purges its profile and envelopes, its sole-owner spaces, and its name on shared content', async () => {
    const avatar = randomBytes(300);
    const leaving = await register(relay.url, 'leaving', avatar);
    const staying = await register(relay.url, 'staying');
    const own = await createSpace(leaving);
    const ownChange = sealedChange(own, leaving, 'doc', 'mine alone');
    await leaving.client.push(own.id, 'doc', ownChange);
    const shared = await createSpace(staying);
    await changeMembership(shared, staying, 'add', leaving, 'editor');
    const sharedChange = sealedChange(shared, leaving, 'doc', 'written together');
    await leaving.client.push(shared.id, 'doc', sharedChange);
    const { envelope } = envelopeFor(shared, staying, leaving);
    await staying.client.putEnvelopes(shared.id, 0, [{ recipient: leaving.id, envelope }]);

    // While it is still in a space that outlives it, the relay refuses: the signed log must say it left.
    expect(await outcome(leaving.client.deleteAccount())).toBe('CONFLICT');
    expect((await relay.store.accessReport(leaving.id))?.record.username).toBe(leaving.username);
    await changeMembership(shared, leaving, 'account_deleted', leaving, null);
    await leaving.client.deleteAccount();
    const after = storedBytes(relay);
    expect(after.includes(leaving.username)).toBe(false);
    expect(after.includes(Buffer.from(avatar))).toBe(false);
    expect(after.includes(fragment(ownChange))).toBe(false);
    expect(after.includes(fragment(envelope))).toBe(false);
    // Shared content stays for the others; its author is now a deleted user.
    const pulled = await staying.client.pull(shared.id, 'doc', 0);
    expect(pulled.changes.map((c) => Buffer.from(c.bytes).equals(Buffer.from(sharedChange)))).toEqual([true]);
    expect(await outcome(staying.client.lookup(leaving.username))).toBe('NOT_FOUND');
    const members = await relay.store.getMembers(shared.id);
    expect([...members.keys()]).toEqual([staying.id]);
    // The deleted account cannot come back with its key.
    const { connect } = await import('./relay-fixture.ts');
    const again = await connect(relay.url);
    expect(await outcome(again.signIn(leaving.keys))).toBe('UNAUTHENTICATED');
    again.close();
  });

  it('with a purge window, keeps a deleted account locked out until the window ends, then purges it', async () => {
    const windowed = await startTestRelay({ purgeWindowMs: 1200 });
    try {
      const leaving = await register(windowed.url, 'windowed');
      await leaving.client.deleteAccount();
      const { connect } = await import('./relay-fixture.ts');
      const again = await connect(windowed.url);
      expect(await outcome(again.signIn(leaving.keys))).toBe('UNAUTHENTICATED');
      again.close();
      expect(storedBytes(windowed).includes(leaving.username)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(storedBytes(windowed).includes(leaving.username)).toBe(false);
    } finally {
      await windowed.stop();
    }
  });
});
