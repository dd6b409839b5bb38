/** Spaces, their membership logs and key envelopes: createSpace, appendMembership, getMembership, getRemoval, putEnvelopes, getEnvelopes, deleteSpace. */
import { HearthError } from '../../common/errors.ts';
import { applyMembershipEntry, assertPersonalSpaceEntry, emptyMembership, lastDepartureIndex } from '../../common/membership/log.ts';
import { envelopeSender } from '../../common/protocol/envelope.ts';
import { forbid, limitError } from '../refusals.ts';
import type { EpochEnvelopes } from '../storage/relay-store.ts';
import { ok, writerOf, type Member, type Request, type SignedIn } from './request.ts';

/** Only envelopes signed by the uploader for exactly this space, epoch and member are kept. */
function checkEnvelopes(space: string, epoch: number, recipients: readonly string[], parts: readonly Uint8Array[], account: string): void {
  if (parts.some((p) => p.length > 4096)) throw limitError('TOO_LARGE', 'maxFrameBytes', 'A key envelope is at most 4096 bytes.');
  recipients.forEach((recipient, i) => {
    if (envelopeSender(parts[i]!, { space, epoch, recipient }) !== account) forbid('Key envelopes must be signed by the account that uploads them.');
  });
}

/**
 * The new key epoch a removal (protocol 3) or a device revocation brings with it, signed by the
 * caller; the store checks, in the transaction that keeps them with the entry, that they go to
 * exactly the active devices of the members that remain (device-logs.ts).
 */
export function checkRotation(frame: { space: string; epoch?: number; recipients?: string[] }, parts: readonly Uint8Array[], account: string): EpochEnvelopes {
  const { epoch, recipients } = frame;
  if (epoch === undefined || !recipients) throw new HearthError('BAD_REQUEST', 'A new key epoch needs both its number and its recipients.');
  checkEnvelopes(frame.space, epoch, recipients, parts, account);
  return { epoch, items: recipients.map((recipient, i) => ({ recipient, sealed: parts[i]!.slice() })) };
}

export async function createSpace({ relay, frame, send, now }: Request<'createSpace'>, { account }: SignedIn): Promise<void> {
  if (frame.genesis.actor !== account || frame.genesis.space !== frame.space)
    forbid('A space is created by its first Owner: the genesis entry must be yours and name this space.');
  const state = applyMembershipEntry(emptyMembership(frame.space), frame.genesis);
  await relay.store.createSpace(frame.space, frame.kind, frame.genesis, state, now);
  relay.hub.forgetSpace(frame.space, false);
  send(ok(frame.rid, { seq: 0, head: state.head! }));
}

/** Membership is read from the stored log, not the cache: the entry must follow exactly the state it is applied to. */
export async function appendMembership({ relay, connection, frame, send }: Request<'appendMembership'>, { account }: SignedIn): Promise<void> {
  const { hub, store } = relay;
  if (frame.entry.space !== frame.space) throw new HearthError('BAD_REQUEST', 'The entry names another space than the frame.');
  if (frame.entry.actor !== account) forbid('You can only append membership entries you signed yourself.');
  const before = await store.getMembershipState(frame.space);
  if (!before) throw new HearthError('NOT_FOUND', `There is no space ${frame.space} on this relay.`);
  if (!before.members.has(account)) forbid('You are not a member of this space.');
  if (frame.entry.action === 'device_revoked')
    throw new HearthError(
      'BAD_REQUEST',
      'A device_revoked entry comes only with the revocation itself (revokeDevice), which starts the new key epoch in every space at once.',
    );
  // A personal workspace synced between one account's devices never gains another member.
  if ((await store.getSpace(frame.space))?.kind === 'personal') assertPersonalSpaceEntry(frame.entry);
  const after = applyMembershipEntry(before, frame.entry);
  const rotating = frame.recipients || frame.epoch !== undefined;
  if (rotating && (frame.entry.action !== 'remove' || frame.entry.subject === account))
    throw new HearthError('BAD_REQUEST', 'Only removing another member starts a new key epoch with the entry.');
  const rotation = rotating ? checkRotation(frame, frame.parts, account) : undefined;
  await store.appendMembership(before, frame.entry, after, rotation);
  hub.forgetSpace(frame.space, false);
  const removed = [...before.members.keys()].filter((member) => !after.members.has(member));
  hub.notifyMembership(frame.space, removed, connection).catch(() => undefined);
  relay.log.write('info', 'membership', { space: frame.space, action: frame.entry.action, seq: frame.entry.seq });
  send(ok(frame.rid, { seq: frame.entry.seq, head: after.head! }));
}

export async function getMembership({ relay, frame, send }: Request<'getMembership'>): Promise<void> {
  send({ t: 'membership', rid: frame.rid, space: frame.space, entries: await relay.store.getMembershipLog(frame.space, frame.since), parts: [] });
}

/**
 * A former member's read of the log: up to and including the entry that took it out, so that its
 * client can verify who removed it and when; nothing after. Members read with getMembership.
 */
export async function getRemoval({ relay, frame, send }: Request<'getRemoval'>, { account }: SignedIn): Promise<void> {
  const roles = await relay.hub.members(frame.space);
  if (roles.size === 0) throw new HearthError('NOT_FOUND', `There is no space ${frame.space} on this relay (it may have been deleted).`);
  if (roles.has(account)) throw new HearthError('BAD_REQUEST', 'You are a member of this space; read its membership log with getMembership.');
  const log = await relay.store.getMembershipLog(frame.space, 0);
  const end = lastDepartureIndex(log, account);
  if (end < 0) forbid('You were never a member of this space.');
  send({ t: 'membership', rid: frame.rid, space: frame.space, entries: log.slice(0, end + 1).filter((e) => e.seq >= frame.since), parts: [] });
}

export async function putEnvelopes({ relay, connection, frame, send }: Request<'putEnvelopes'>, caller: Member): Promise<void> {
  const roles = await relay.hub.members(frame.space);
  // A member with a device log receives keys on its devices only: never on the account key, which its revoked devices hold too.
  const allowed = new Set(await relay.store.epochRecipients([...roles.keys()]));
  for (const recipient of frame.recipients)
    if (!allowed.has(recipient))
      throw new HearthError(
        'BAD_REQUEST',
        'Key envelopes go to members only (to each active device of a member that has a device log); add the member first, or fetch its device log.',
      );
  checkEnvelopes(frame.space, frame.epoch, frame.recipients, frame.parts, caller.account);
  await relay.store.putEnvelopes(
    frame.space,
    frame.epoch,
    frame.recipients.map((recipient, i) => ({ recipient, sealed: frame.parts[i]!.slice() })),
    writerOf(caller),
  );
  relay.hub.notifyMembership(frame.space, [], connection).catch(() => undefined);
  send(ok(frame.rid));
}

export async function getEnvelopes({ relay, frame, send }: Request<'getEnvelopes'>, { account, device }: Member): Promise<void> {
  const items = await relay.store.getEnvelopes(frame.space, account, device);
  send({ t: 'envelopes', rid: frame.rid, space: frame.space, items: items.map((i) => ({ epoch: i.epoch })), parts: items.map((i) => i.sealed) });
}

export async function deleteSpace({ relay, frame, send }: Request<'deleteSpace'>, caller: Member): Promise<void> {
  await relay.store.deleteSpace(frame.space, writerOf(caller));
  relay.hub.forgetSpace(frame.space, true);
  await relay.store.driver.scrub();
  relay.log.write('info', 'space_deleted', { space: frame.space });
  send(ok(frame.rid));
}
