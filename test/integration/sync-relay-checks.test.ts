// A relay that hides history is noticed by the client: it skips sequence numbers of a document,
// withholds the tail it claims to hold, or rolls back (or forks) the membership log. Each is
// reported as a sync warning naming the workspace; a rolled-back log stops the round.
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncWarning } from '../../main/sync/engine.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { closeAll, makePeer, type Peer } from './sync-fixture.ts';
import { routeThrough, startHostileProxy, type HostileProxy } from './sync-proxy.ts';

let relay: TestRelay;
let proxy: HostileProxy;
let ann: Peer;
let bob: Peer; // behind the hostile proxy
let cat: Peer;
let workspaceId: string;
let docId: string;
const warnings: SyncWarning[] = [];

beforeAll(async () => {
  relay = await startTestRelay();
  proxy = await startHostileProxy(relay.url);
  ann = await makePeer(relay.url, 'ann');
  bob = await makePeer(relay.url, 'bob');
  cat = await makePeer(relay.url, 'cat');
  await routeThrough(bob, proxy);
  bob.engine.onWarning((w) => warnings.push(w));
  workspaceId = (await ann.engine.createTeamWorkspace('Ledger', relay.url)).id;
  docId = ann.vault.documents.create(workspaceId, { title: 'Accounts', init: (d) => A.updateText(d, ['body'], 'start') }).id;
  await ann.engine.invite(workspaceId, bob.vault.profile.username, 'editor');
  await bob.engine.acceptInvitation(workspaceId);
});
afterAll(() => closeAll([ann, bob, cat], { proxy, relay }));

async function annWrites(...texts: string[]): Promise<void> {
  for (const text of texts) {
    ann.vault.documents.change(docId, (d) => A.splice(d, ['body'], d.body.length, 0, ` ${text}`));
    await ann.engine.syncOnce(workspaceId);
  }
}

async function bobSyncsThrough(rewrite: HostileProxy['rewrite']): Promise<SyncWarning[]> {
  const before = warnings.length;
  proxy.rewrite = rewrite;
  try {
    await bob.engine.syncOnce(workspaceId).catch(() => undefined);
  } finally {
    proxy.rewrite = (frame) => frame;
  }
  return warnings.slice(before);
}

describe('a relay that hides history', () => {
  it('skipping a sequence number of a document is reported, naming the workspace', async () => {
    await annWrites('one', 'two', 'three');
    const seen = await bobSyncsThrough((frame) => {
      if (frame.t !== 'changes' || frame.doc !== docId || frame.seqs.length < 3) return frame;
      const keep = [0, 2];
      return { ...frame, seqs: keep.map((i) => frame.seqs[i]!), parts: keep.map((i) => frame.parts[i]!) };
    });
    const skipped = seen.find((w) => /skipped change/.test(w.message));
    expect(skipped).toMatchObject({ workspaceName: 'Ledger', documentId: docId, code: 'RECORD_TAMPERED' });
    expect(skipped!.message).toMatch(/^Ledger: .*skipped change \d+ of a document/);
  });

  it('withholding the tail it says it holds is reported', async () => {
    await annWrites('four', 'five');
    const seen = await bobSyncsThrough((frame) => {
      if (frame.t !== 'changes' || frame.doc !== docId || frame.seqs.length === 0) return frame;
      return { ...frame, seqs: frame.seqs.slice(0, -1), parts: frame.parts.slice(0, -1) };
    });
    expect(seen.map((w) => w.message).join('\n')).toMatch(/^Ledger: .*holds changes up to \d+ .* delivered only up to \d+/m);
  });

  it('a membership log rolled back to before what the client verified is reported and stops the round', async () => {
    await ann.engine.invite(workspaceId, cat.vault.profile.username, 'viewer');
    await bob.engine.syncOnce(workspaceId); // Bob verifies the log with Cat's addition
    const verified = bob.vault.syncState.space(workspaceId)!.membership.length;
    expect(verified).toBeGreaterThan(2);
    const before = warnings.length;
    proxy.rewrite = (frame) => (frame.t === 'membership' ? { ...frame, entries: [] } : frame);
    try {
      await expect(bob.engine.syncOnce(workspaceId)).rejects.toMatchObject({ code: 'RECORD_TAMPERED', message: expect.stringMatching(/rolled back/) });
    } finally {
      proxy.rewrite = (frame) => frame;
    }
    expect(warnings.slice(before)).toEqual([
      expect.objectContaining({ workspaceName: 'Ledger', code: 'RECORD_TAMPERED', message: expect.stringMatching(/^Ledger: .*rolled back/) }),
    ]);
    expect(bob.engine.status(workspaceId)[0]).toMatchObject({ state: 'error' });
    expect(bob.vault.syncState.space(workspaceId)!.membership.length).toBe(verified);
  });

  it('a forked membership log (a different entry where the verified one was) is reported', async () => {
    const before = warnings.length;
    proxy.rewrite = (frame) => {
      if (frame.t !== 'membership' || frame.entries.length === 0) return frame;
      const [first, ...rest] = frame.entries;
      const sig = first!.sig;
      const other = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
      return { ...frame, entries: [{ ...first!, sig: other }, ...rest] };
    };
    try {
      await expect(bob.engine.syncOnce(workspaceId)).rejects.toMatchObject({ code: 'RECORD_TAMPERED', message: expect.stringMatching(/forked/) });
    } finally {
      proxy.rewrite = (frame) => frame;
    }
    expect(warnings.slice(before).map((w) => w.message)).toEqual([expect.stringMatching(/^Ledger: .*differs at entry/)]);
    // With an honest relay again, the round goes through.
    await bob.engine.syncOnce(workspaceId);
    expect(bob.engine.status(workspaceId)[0]).toMatchObject({ state: 'synced' });
  });
});
