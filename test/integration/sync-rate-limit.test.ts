/**
 * A relay's rate limit slows a big first sync down; it must not break it. The relay refuses a
 * frame over its limit before reading it, so the client waits and sends it again: a workspace
 * with more documents than the relay's burst still converts and still reaches a new member whole.
 */
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closePeer, makePeer, type Peer } from './sync-fixture.ts';

let relay: TestRelay;
const peers: Peer[] = [];

beforeAll(async () => {
  // A relay far stricter than the default (200/s, burst 1000), so a few dozen documents exceed it.
  relay = await startTestRelay({ limits: { messagesPerSecond: 40, messageBurst: 20 } });
});

afterAll(async () => {
  for (const peer of peers) await closePeer(peer);
  await relay.close();
});

describe('a relay rate limit', () => {
  it('slows a first sync of more documents than its burst, loses nothing, and shows its progress', async () => {
    const ann = await makePeer(relay.url, 'ann');
    const bob = await makePeer(relay.url, 'bob');
    peers.push(ann, bob);
    const workspace = ann.vault.workspaces.create({ name: 'Archive' });
    const titles: string[] = [];
    for (let i = 0; i < 60; i++) {
      const id = ann.vault.documents.create(workspace.id, { title: `Note ${i}` }).id;
      ann.vault.documents.change(id, (d) => A.splice(d, ['body'], 0, 0, `body of note ${i}`));
      titles.push(`Note ${i}`);
    }
    await ann.engine.convertToTeam(workspace.id, relay.url, true);
    await ann.engine.syncOnce(workspace.id);
    await ann.engine.invite(workspace.id, bob.vault.profile.username, 'viewer');

    const seen: Array<{ done: number; total: number } | undefined> = [];
    bob.engine.onStatus((status) => {
      if (status.workspaceId === workspace.id) seen.push(status.progress);
    });
    await bob.engine.acceptInvitation(workspace.id);
    // The first sync said how far it got: rising counts of the 60 documents, then done without a count.
    const counts = seen.filter((p) => p !== undefined);
    expect(counts.length).toBeGreaterThan(10);
    expect(counts.every((p) => p.total === 60)).toBe(true);
    expect(counts.map((p) => p.done)).toEqual([...counts.map((p) => p.done)].sort((x, y) => x - y));
    expect(bob.engine.status(workspace.id)[0]).toMatchObject({ state: 'synced' });
    expect(bob.engine.status(workspace.id)[0]!.progress).toBeUndefined();
    const received = bob.vault.documents.list(workspace.id);
    expect(received.map((d) => d.title).sort()).toEqual([...titles].sort());
    for (const summary of received) expect(bob.vault.documents.get(summary.id).body).toBe(`body of ${summary.title.toLowerCase()}`);
    expect(bob.engine.quarantined(workspace.id)).toEqual([]);
  });
});
