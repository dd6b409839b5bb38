// S5 against a hostile relay: the relay's own database is edited behind its back (as a
// compromised operator would) and the client, checking with common/protocol/verify.ts, refuses
// every forged, tampered, replayed or misplaced change, and a rewritten membership log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromUtf8 } from '../../common/crypto/sodium.ts';
import { openChange } from '../../common/protocol/change.ts';
import { MembershipHistory, checkIncomingChange } from '../../common/protocol/verify.ts';
import { changeMembership, createSpace, register, sealedChange, startTestRelay, type Person, type TestRelay, type TestSpace } from './relay-fixture.ts';

let relay: TestRelay;
let ann: Person;
let vic: Person;
let space: TestSpace;
beforeAll(async () => {
  relay = await startTestRelay();
  ann = await register(relay.url, 'ann');
  vic = await register(relay.url, 'viewer');
  space = await createSpace(ann);
  await changeMembership(space, ann, 'add', vic, 'viewer');
  await ann.client.push(space.id, 'doc', sealedChange(space, ann, 'doc', 'genuine'));
});
afterAll(() => relay.stop());

/** The operator writes a change row directly, bypassing every check the relay makes. */
async function inject(doc: string, bytes: Uint8Array): Promise<void> {
  const [row] = await relay.store.driver.all(`UPDATE docs SET last_seq = last_seq + 1 WHERE space = ? AND doc = ? RETURNING last_seq`, [space.id, doc]);
  await relay.store.driver.run(`INSERT INTO changes (space, doc, seq, change_id, author, bytes) VALUES (?, ?, ?, ?, NULL, ?)`, [
    space.id,
    doc,
    Number(row!.last_seq),
    `injected-${row!.last_seq}`,
    bytes,
  ]);
}

async function verdicts(doc: string): Promise<string[]> {
  const history = MembershipHistory.replay(space.id, await vic.client.getMembership(space.id));
  const seen = new Set<string>();
  const { changes } = await vic.client.pull(space.id, doc, 0);
  return changes.map(({ bytes }) => {
    try {
      return fromUtf8(openChange(checkIncomingChange(bytes, history, { space: space.id, doc }, seen), space.key)!);
    } catch (error) {
      return (error as { code: string }).code;
    }
  });
}

describe('a client facing a hostile relay', () => {
  it('accepts the genuine change and refuses injected ones', async () => {
    const genuine = (await ann.client.pull(space.id, 'doc', 0)).changes[0]!.bytes;
    const tampered = genuine.slice();
    tampered[tampered.length - 80]! ^= 0x01;
    await inject('doc', tampered); // altered ciphertext
    await inject('doc', sealedChange(space, vic, 'doc', 'a viewer writing')); // role forged by the relay
    await inject('doc', genuine); // replayed under a new sequence number
    await ann.client.push(space.id, 'other', sealedChange(space, ann, 'other', 'elsewhere'));
    await inject('doc', (await ann.client.pull(space.id, 'other', 0)).changes[0]!.bytes); // moved from another document
    const staleHead = { ...space, state: { ...space.state, head: 'ab'.repeat(32) } };
    await inject('doc', sealedChange(staleHead, ann, 'doc', 'unknown head'));
    expect(await verdicts('doc')).toEqual(['genuine', 'RECORD_TAMPERED', 'FORBIDDEN', 'RECORD_TAMPERED', 'RECORD_TAMPERED', 'RECORD_TAMPERED']);
  });

  it('refuses a membership log the relay rewrote to promote someone', async () => {
    const entries = await vic.client.getMembership(space.id);
    const promoted = entries.map((e) => (e.subject === vic.id ? { ...e, role: 'editor' as const } : e));
    expect(() => MembershipHistory.replay(space.id, promoted)).toThrow(/signature/);
    expect(() => MembershipHistory.replay(space.id, entries.slice(1))).toThrow();
    expect(MembershipHistory.replay(space.id, entries).current.members.get(vic.id)).toBe('viewer');
  });
});
