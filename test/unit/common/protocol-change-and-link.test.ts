// Change blobs and share links: what the relay can read (metadata) and what it cannot (content),
// and that any alteration by a hostile relay is caught.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentityKeys } from '../../../common/crypto/identity.ts';
import { fromUtf8, loadSodium, randomKey, toBase64Url, utf8 } from '../../../common/crypto/sodium.ts';
import { isHearthError } from '../../../common/errors.ts';
import { openChange, parseChange, sealChange, verifyChange, type ChangeMeta } from '../../../common/protocol/change.ts';
import { openLink, sealLink } from '../../../common/protocol/link.ts';
import { openEnvelope, sealEnvelope } from '../../../common/protocol/envelope.ts';
import { MembershipHistory } from '../../../common/protocol/verify.ts';
import { applyMembershipEntry, emptyMembership, nextEntry, signMembershipEntry, type MembershipEntry } from '../../../common/membership/log.ts';

beforeAll(loadSodium);

function code(run: () => unknown): string {
  try {
    run();
    return 'accepted';
  } catch (error) {
    return isHearthError(error) ? error.code : 'crash';
  }
}

describe('change blobs', () => {
  it('hide the content, show the metadata, and open only with the right key', () => {
    const author = generateIdentityKeys();
    const key = randomKey();
    const meta: ChangeMeta = {
      space: 'space1',
      doc: 'doc1',
      kind: 'content',
      epoch: 2,
      head: 'ab'.repeat(32),
      author: toBase64Url(author.signPublicKey),
      id: 'c1',
      at: 1,
    };
    const blob = sealChange(meta, utf8('MARKER-secret-body'), key, author.signSecretKey);
    expect(Buffer.from(blob).includes('MARKER')).toBe(false);
    const change = verifyChange(blob);
    expect(change.meta).toEqual(meta);
    expect(fromUtf8(openChange(change, key)!)).toBe('MARKER-secret-body');
    expect(openChange(change, randomKey())).toBeUndefined();
  });

  it('catch a flipped byte anywhere, a swapped author, and a re-labelled kind', () => {
    const author = generateIdentityKeys();
    const other = generateIdentityKeys();
    const key = randomKey();
    const meta: ChangeMeta = {
      space: 's',
      doc: 'd',
      kind: 'comment',
      epoch: 0,
      head: 'cd'.repeat(32),
      author: toBase64Url(author.signPublicKey),
      id: 'c2',
      at: 5,
    };
    const blob = sealChange(meta, utf8('hello'), key, author.signSecretKey);
    for (let i = 0; i < blob.length; i += 7) {
      const tampered = blob.slice();
      tampered[i]! ^= 1;
      expect(['BAD_REQUEST', 'RECORD_TAMPERED']).toContain(code(() => verifyChange(tampered)));
    }
    // A relay re-signing someone's change as its own cannot reuse the ciphertext under another author:
    const resigned = sealChange({ ...meta, author: toBase64Url(other.signPublicKey) }, utf8('x'), key, author.signSecretKey);
    expect(code(() => verifyChange(resigned))).toBe('RECORD_TAMPERED');
    // Metadata is bound into the ciphertext: moving it to another document fails to open.
    const parsed = parseChange(blob);
    const moved = { ...parsed, metaBytes: utf8(JSON.stringify({ ...meta, doc: 'other' })) };
    expect(openChange(moved, key)).toBeUndefined();
  });
});

describe('share links', () => {
  it('decrypt only with the fragment key and the right link id', async () => {
    const { ciphertext, fragmentKey } = await sealLink('link1', { title: 'MARKER title', text: 'MARKER body' });
    expect(Buffer.from(ciphertext).includes('MARKER')).toBe(false);
    expect(await openLink('link1', ciphertext, fragmentKey)).toEqual({ title: 'MARKER title', text: 'MARKER body' });
    expect(await openLink('link2', ciphertext, fragmentKey)).toBeUndefined();
    expect(await openLink('link1', ciphertext, toBase64Url(randomKey()))).toBeUndefined();
  });
});

describe('key envelopes', () => {
  it('open only for their member, from an Owner or Admin, for the space and epoch they name', async () => {
    const [owner, member, relayOperator] = [generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()];
    const id = (k: typeof owner) => toBase64Url(k.signPublicKey);
    const log: MembershipEntry[] = [];
    let state = emptyMembership('s');
    for (const [actor, action, subject, role] of [
      [owner, 'create', owner, 'owner'],
      [owner, 'add', member, 'viewer'],
    ] as const) {
      const entry = signMembershipEntry(nextEntry(state, { actor: id(actor), action, subject: id(subject), role }), actor.signSecretKey);
      state = applyMembershipEntry(state, entry);
      log.push(entry);
    }
    const history = MembershipHistory.replay('s', log);
    const key = randomKey();
    const make = (sender: typeof owner, epoch = 3, to = member) =>
      sealEnvelope({ space: 's', epoch, recipient: id(to), recipientBoxPublicKey: to.boxPublicKey, key, sender });
    expect(Buffer.from(openEnvelope(make(owner), member, { space: 's', epoch: 3 }, history).key).equals(Buffer.from(key))).toBe(true);
    // The relay (or a viewer) cannot plant a key of its own:
    expect(code(() => openEnvelope(make(relayOperator), member, { space: 's', epoch: 3 }, history))).toBe('FORBIDDEN');
    expect(code(() => openEnvelope(make(member), member, { space: 's', epoch: 3 }, history))).toBe('FORBIDDEN');
    // Relabelled as another epoch or space, or addressed to someone else:
    expect(code(() => openEnvelope(make(owner, 2), member, { space: 's', epoch: 3 }, history))).toBe('RECORD_TAMPERED');
    expect(code(() => openEnvelope(make(owner), member, { space: 'other', epoch: 3 }, history))).toBe('RECORD_TAMPERED');
    expect(code(() => openEnvelope(make(owner, 3, owner), member, { space: 's', epoch: 3 }, history))).toBe('RECORD_TAMPERED');
  });
});
