/**
 * Linking a new device (common/devices/pairing.ts): the relay only carries the steps between the
 * new device (not signed in: it holds no key of the account yet, and its pairing id is its
 * capability) and a signed-in device of the account. It never learns the confirmation code's
 * inputs before both sides committed, and the account material reaches it sealed.
 */
import { randomBytes } from 'node:crypto';
import { HearthError } from '../../common/errors.ts';
import { forbid } from '../refusals.ts';
import type { PairingRecord } from '../storage/pairings.ts';
import { ok, type Request, type SignedIn } from './request.ts';

/** The largest sealed account material: keys, a profile with its avatar, a device log, and a key per epoch of a few hundred spaces. */
const MAX_MATERIAL_BYTES = 512 * 1024;

function answer(rid: number, record: PairingRecord) {
  return {
    t: 'pairing' as const,
    rid,
    pairing: record.id,
    account: record.account,
    offer: record.offer,
    nonce: record.nonce,
    secret: record.secret,
    parts: record.material ? [record.material] : [],
  };
}

export async function pairOffer({ relay, frame, send, now }: Request<'pairOffer'>): Promise<void> {
  const found = await relay.store.findByUsername(frame.username);
  if (!found) throw new HearthError('NOT_FOUND', `No user is called ${frame.username} on this relay; check the spelling, or the relay address.`);
  const id = randomBytes(16).toString('base64url');
  await relay.store.openPairing(id, found.account, frame.offer, now);
  const record = await relay.store.readPairing(id, now);
  send(answer(frame.rid, record));
}

/** The new device's read of its pairing; the sealed material goes with it once, then the row is gone. */
export async function pairRead({ relay, frame, send, now }: Request<'pairRead'>): Promise<void> {
  const record = await relay.store.readPairing(frame.pairing, now);
  send(answer(frame.rid, record));
  if (record.material) await relay.store.deletePairing(record.id);
}

export async function pairReveal({ relay, frame, send, now }: Request<'pairReveal'>): Promise<void> {
  await relay.store.stepPairing(frame.pairing, 'secret', frame.secret, now);
  send(ok(frame.rid));
}

export async function pairList({ relay, frame, send, now }: Request<'pairList'>, { account }: SignedIn): Promise<void> {
  const items = await relay.store.listPairings(account, now);
  send({
    t: 'pairings',
    rid: frame.rid,
    items: items.map((r) => ({ pairing: r.id, offer: r.offer, nonce: r.nonce, secret: r.secret, createdAt: r.createdAt })),
    parts: [],
  });
}

async function ownPairing(relay: Request<'pairAnswer'>['relay'], pairing: string, account: string, now: number): Promise<PairingRecord> {
  const record = await relay.store.readPairing(pairing, now);
  if (record.account !== account) forbid('This pairing is for another account.');
  return record;
}

export async function pairAnswer({ relay, frame, send, now }: Request<'pairAnswer'>, { account }: SignedIn): Promise<void> {
  await ownPairing(relay, frame.pairing, account, now);
  await relay.store.stepPairing(frame.pairing, 'nonce', frame.nonce, now);
  send(ok(frame.rid));
}

/** With one part, the account material sealed to the new device; with none, the pairing is declined and its row goes. */
export async function pairApprove({ relay, frame, send, now }: Request<'pairApprove'>, { account }: SignedIn): Promise<void> {
  await ownPairing(relay, frame.pairing, account, now);
  const material = frame.parts[0];
  if (!material) await relay.store.deletePairing(frame.pairing);
  else {
    if (material.length > MAX_MATERIAL_BYTES) throw new HearthError('TOO_LARGE', `The sealed account is at most ${MAX_MATERIAL_BYTES} bytes.`);
    await relay.store.stepPairing(frame.pairing, 'material', material.slice(), now);
  }
  send(ok(frame.rid));
}
