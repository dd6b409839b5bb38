/** Documents' change logs and who follows them: push, pull, subscribe, unsubscribe, putSnapshot, deleteDoc, presence. */
import { HearthError } from '../../common/errors.ts';
import { verifyChange, type ParsedChange } from '../../common/protocol/change.ts';
import { forbid, limitError } from '../refusals.ts';
import { ok, requirePush, type Member, type RelayContext, type Request } from './request.ts';

/** Verifies a pushed change's signature and that it belongs to this frame and this pusher. */
function checkChange(relay: RelayContext, frame: { space: string; doc: string; parts: Uint8Array[] }, account: string): ParsedChange {
  const bytes = frame.parts[0]!;
  const { maxChangeBytes } = relay.limits;
  if (bytes.length > maxChangeBytes)
    throw limitError('TOO_LARGE', 'maxChangeBytes', `A change is at most ${maxChangeBytes} bytes; take a snapshot or split the edit.`);
  const change = verifyChange(bytes);
  if (change.meta.space !== frame.space || change.meta.doc !== frame.doc)
    throw new HearthError('BAD_REQUEST', 'The change names another space or document than the frame it came in.');
  if (change.meta.author !== account) forbid('A change must be signed by the account that pushes it.');
  return change;
}

export async function push({ relay, connection, frame, send }: Request<'push'>, caller: Member): Promise<void> {
  const change = checkChange(relay, frame, caller.account);
  if (change.meta.kind === 'snapshot') throw new HearthError('BAD_REQUEST', 'Snapshots go through putSnapshot, not push.');
  requirePush(caller, change.meta.kind);
  await relay.hub.requireKnownHead(frame.space, change.meta.head);
  const bytes = frame.parts[0]!;
  const { seq, duplicate } = await relay.store.appendChange(frame.space, frame.doc, change.meta.id, caller.account, bytes, relay.limits.bytesPerSpace);
  send(ok(frame.rid, { seq }));
  if (!duplicate) await relay.hub.fanOut(frame.space, frame.doc, seq, bytes, connection);
}

export async function pull({ relay, frame, send }: Request<'pull'>): Promise<void> {
  const result = await relay.store.getChanges(frame.space, frame.doc, frame.since, frame.limit ?? 1000);
  // Keep the answer under the frame limit; the client pulls again from the last seq it got.
  const { maxFrameBytes } = relay.limits;
  let budget = maxFrameBytes - Math.min(64 * 1024, maxFrameBytes / 4) - (result.snapshot?.bytes.length ?? 0);
  const changes: typeof result.changes = [];
  for (const change of result.changes) {
    budget -= change.bytes.length;
    if (budget < 0 && (changes.length > 0 || result.snapshot)) break;
    changes.push(change);
  }
  send({
    t: 'changes',
    rid: frame.rid,
    space: frame.space,
    doc: frame.doc,
    snapshot: result.snapshot ? { covers: result.snapshot.covers } : null,
    seqs: changes.map((c) => c.seq),
    latest: result.latest,
    parts: [...(result.snapshot ? [result.snapshot.bytes] : []), ...changes.map((c) => c.bytes)],
  });
}

export async function subscribe({ relay, connection, frame, send }: Request<'subscribe'>): Promise<void> {
  relay.hub.subscribe(connection, `${frame.space}/${frame.doc}`);
  send(ok(frame.rid));
}

export async function unsubscribe({ relay, connection, frame, send }: Request<'unsubscribe'>): Promise<void> {
  relay.hub.unsubscribe(connection, `${frame.space}/${frame.doc}`);
  send(ok(frame.rid));
}

export async function putSnapshot({ relay, frame, send }: Request<'putSnapshot'>, { account }: Member): Promise<void> {
  const change = checkChange(relay, frame, account);
  if (change.meta.kind !== 'snapshot') throw new HearthError('BAD_REQUEST', 'putSnapshot carries a change of kind snapshot.');
  await relay.hub.requireKnownHead(frame.space, change.meta.head);
  await relay.store.putSnapshot(frame.space, frame.doc, frame.covers, frame.parts[0]!, relay.limits.bytesPerSpace);
  send(ok(frame.rid, { seq: frame.covers }));
}

export async function deleteDoc({ relay, frame, send }: Request<'deleteDoc'>): Promise<void> {
  await relay.store.deleteDoc(frame.space, frame.doc); // its public links go with it
  await relay.store.driver.scrub();
  send(ok(frame.rid));
}

export async function presence({ relay, connection, frame, send }: Request<'presence'>, { account }: Member): Promise<void> {
  const { maxPresenceBytes, presencePerSecond } = relay.limits;
  if (frame.parts[0]!.length > maxPresenceBytes) throw limitError('TOO_LARGE', 'maxPresenceBytes', `A presence update is at most ${maxPresenceBytes} bytes.`);
  if (!connection.takePresenceToken())
    throw limitError('RATE_LIMITED', 'presencePerSecond', `At most ${presencePerSecond} presence updates per second per connection; send fewer.`);
  const key = `${frame.space}/${frame.doc}`;
  if (connection.presenceIn.has(key) || connection.presenceIn.size < 256) connection.presenceIn.add(key);
  send(ok(frame.rid));
  return relay.hub.relayPresence(frame.space, frame.doc, account, frame.parts[0]!, connection);
}
