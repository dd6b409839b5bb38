/** Documents' change logs and who follows them: push, pull, subscribe, unsubscribe, putSnapshot, forgetHistory, deleteDoc, presence. */
import { HearthError } from '../../common/errors.ts';
import type { ChangeMeta } from '../../common/protocol/change.ts';
import type { CarriedComment } from '../storage/generations.ts';
import { forbid, limitError } from '../refusals.ts';
import { ok, pushRoles, requirePush, writerOf, type Member, type RelayContext, type Request } from './request.ts';

/** Verifies a pushed change's signature (on a verification thread) and that it belongs to this frame and this pusher. */
async function checkChange(relay: RelayContext, frame: { space: string; doc: string; parts: Uint8Array[] }, account: string): Promise<ChangeMeta> {
  const bytes = frame.parts[0]!;
  const { maxChangeBytes } = relay.limits;
  if (bytes.length > maxChangeBytes)
    throw limitError('TOO_LARGE', 'maxChangeBytes', `A change is at most ${maxChangeBytes} bytes; take a snapshot or split the edit.`);
  const meta = await relay.verifier.verifyChange(bytes);
  if (meta.space !== frame.space || meta.doc !== frame.doc)
    throw new HearthError('BAD_REQUEST', 'The change names another space or document than the frame it came in.');
  if (meta.author !== account) forbid('A change must be signed by the account that pushes it.');
  return meta;
}

export async function push({ relay, connection, frame, send, now }: Request<'push'>, caller: Member): Promise<void> {
  const meta = await checkChange(relay, frame, caller.account);
  if (meta.kind === 'snapshot') throw new HearthError('BAD_REQUEST', 'Snapshots go through putSnapshot, not push.');
  if (meta.kind === 'comment' && !meta.comment)
    throw new HearthError('BAD_REQUEST', 'A comment change names its comment, thread and operation; update Hearth and send it again.');
  requirePush(caller, meta.kind, meta.comment?.op);
  await relay.hub.requireKnownHead(frame.space, meta.head);
  const bytes = frame.parts[0]!;
  if (meta.comment) {
    const { seq, duplicate, erased } = await relay.store.appendCommentChange({
      space: frame.space,
      doc: frame.doc,
      changeId: meta.id,
      account: caller.account,
      change: bytes,
      quota: relay.limits.bytesPerSpace,
      comment: meta.comment,
      at: now,
    });
    // S9: a deleted comment's blobs leave the files before the deletion is confirmed.
    if (erased > 0) await relay.store.driver.scrub();
    send(ok(frame.rid, { seq }));
    if (!duplicate) relay.hub.changeCommitted(frame.space, frame.doc, seq, bytes, connection);
    return;
  }
  const writer = writerOf(caller, pushRoles(meta.kind));
  const { seq, duplicate } = await relay.store.appendChange(
    frame.space,
    frame.doc,
    meta.id,
    caller.account,
    bytes,
    relay.limits.bytesPerSpace,
    writer,
    meta.gen ?? 0,
  );
  send(ok(frame.rid, { seq }));
  // Only now, with the change committed: a change a peer has seen is never lost in a crash.
  if (!duplicate) relay.hub.changeCommitted(frame.space, frame.doc, seq, bytes, connection);
}

export async function pull({ relay, frame, send }: Request<'pull'>, { account }: Member): Promise<void> {
  const result = await relay.store.getChanges(frame.space, frame.doc, frame.since, frame.limit ?? 1000, account);
  // Keep the answer under the frame limit; the client pulls again from the last seq it got.
  const { maxFrameBytes } = relay.limits;
  let budget = maxFrameBytes - Math.min(64 * 1024, maxFrameBytes / 4) - (result.snapshot?.bytes.length ?? 0);
  const changes: typeof result.changes = [];
  for (const change of result.changes) {
    budget -= change.bytes.length;
    // The comment changes a snapshot keeps (under what it covers) go out with it, all of them.
    const kept = result.snapshot !== null && change.seq <= result.snapshot.covers;
    if (!kept && budget < 0 && (changes.length > 0 || result.snapshot)) break;
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
  await relay.hub.subscribe(connection, frame.space, frame.doc);
  send(ok(frame.rid));
}

export async function unsubscribe({ relay, connection, frame, send }: Request<'unsubscribe'>): Promise<void> {
  relay.hub.unsubscribe(connection, `${frame.space}/${frame.doc}`);
  send(ok(frame.rid));
}

export async function putSnapshot({ relay, frame, send }: Request<'putSnapshot'>, caller: Member): Promise<void> {
  const meta = await checkChange(relay, frame, caller.account);
  if (meta.kind !== 'snapshot') throw new HearthError('BAD_REQUEST', 'putSnapshot carries a change of kind snapshot.');
  await relay.hub.requireKnownHead(frame.space, meta.head);
  await relay.store.putSnapshot(frame.space, frame.doc, frame.covers, frame.parts[0]!, relay.limits.bytesPerSpace, writerOf(caller), meta.gen ?? 0);
  // S9: the changes it replaced leave the files too (a rebuilt index drops a deleted account's entry).
  await relay.store.driver.scrub();
  send(ok(frame.rid, { seq: frame.covers }));
}

/** The comments a new generation carries (the parts after its snapshot): each a comment written into generation `gen` by the forgetter. */
async function carriedComments(relay: RelayContext, frame: Request<'forgetHistory'>['frame'], account: string): Promise<CarriedComment[]> {
  const carried: CarriedComment[] = [];
  for (const bytes of frame.parts.slice(1)) {
    const meta = await checkChange(relay, { space: frame.space, doc: frame.doc, parts: [bytes] }, account);
    if (meta.kind !== 'comment' || meta.comment?.op !== 'write' || (meta.gen ?? 0) !== frame.gen)
      throw new HearthError('BAD_REQUEST', `The parts after a new generation's snapshot are its comments, each written into generation ${frame.gen}.`);
    carried.push({ changeId: meta.id, account, id: meta.comment.id, thread: meta.comment.thread, bytes });
  }
  return carried;
}

/** A new generation of the document: its first snapshot replaces the log and the snapshot, which are scrubbed; its comments are kept under it. */
export async function forgetHistory({ relay, connection, frame, send }: Request<'forgetHistory'>, caller: Member): Promise<void> {
  const meta = await checkChange(relay, frame, caller.account);
  if (meta.kind !== 'snapshot') throw new HearthError('BAD_REQUEST', "forgetHistory carries the new generation's first snapshot, a change of kind snapshot.");
  if ((meta.gen ?? 0) !== frame.gen)
    throw new HearthError('BAD_REQUEST', `The snapshot is of generation ${meta.gen ?? 0}, not the ${frame.gen} the frame names.`);
  await relay.hub.requireKnownHead(frame.space, meta.head);
  const comments = await carriedComments(relay, frame, caller.account);
  const { seq } = await relay.store.forgetHistory(
    frame.space,
    frame.doc,
    frame.gen,
    frame.covers,
    frame.parts[0]!,
    relay.limits.bytesPerSpace,
    writerOf(caller),
    comments,
  );
  relay.hub.historyForgotten(frame.space, frame.doc, frame.gen, seq, connection);
  // The old log's rows are deleted (secure_delete zeroes them); this takes their last copies out of the WAL.
  await relay.store.driver.scrub();
  send(ok(frame.rid, { seq }));
}

export async function deleteDoc({ relay, frame, send }: Request<'deleteDoc'>, caller: Member): Promise<void> {
  await relay.store.deleteDoc(frame.space, frame.doc, writerOf(caller)); // its public links go with it
  relay.hub.feeds.reset(frame.space, frame.doc);
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
