/** Encrypted files in chunks: fileBegin, fileChunk, fileStatus, fileGet, fileDelete. */
import { HearthError } from '../../common/errors.ts';
import type { RelayFrame } from '../../common/protocol/messages.ts';
import { limitError } from '../refusals.ts';
import type { FileRecord } from '../storage/relay-store.ts';
import { ok, writerOf, type Member, type Request } from './request.ts';

const status = (rid: number, file: FileRecord): RelayFrame => ({
  t: 'fileStatus',
  rid,
  file: file.file,
  size: file.size,
  chunkSize: file.chunkSize,
  received: file.received,
  complete: file.complete,
  parts: [],
});

export async function fileBegin({ relay, frame, send, now }: Request<'fileBegin'>, caller: Member): Promise<void> {
  const { maxFileBytes, maxFrameBytes, bytesPerSpace } = relay.limits;
  if (frame.size > maxFileBytes) throw limitError('TOO_LARGE', 'maxFileBytes', `A file is at most ${maxFileBytes} bytes on this relay.`);
  if (frame.chunkSize > maxFrameBytes - 64 * 1024)
    throw limitError('TOO_LARGE', 'maxFrameBytes', `Chunks must fit in a frame: at most ${maxFrameBytes - 64 * 1024} bytes.`);
  const file = await relay.store.beginFile(frame.space, frame.file, frame.size, frame.chunkSize, caller.account, bytesPerSpace, now, writerOf(caller));
  send(status(frame.rid, file));
}

export async function fileChunk({ relay, frame, send }: Request<'fileChunk'>, caller: Member): Promise<void> {
  const file = await relay.store.getFile(frame.space, frame.file);
  if (!file) throw new HearthError('NOT_FOUND', 'Begin the upload (fileBegin) before sending chunks.');
  if (frame.index >= file.chunkCount) throw new HearthError('BAD_REQUEST', `This file has ${file.chunkCount} chunks; index ${frame.index} is out of range.`);
  const expected = frame.index === file.chunkCount - 1 ? file.size - file.chunkSize * (file.chunkCount - 1) : file.chunkSize;
  if (frame.parts[0]!.length !== expected) throw new HearthError('BAD_REQUEST', `Chunk ${frame.index} must be ${expected} bytes.`);
  await relay.store.putChunk(frame.space, frame.file, frame.index, frame.parts[0]!, writerOf(caller));
  send(ok(frame.rid, { seq: frame.index }));
}

export async function fileStatus({ relay, frame, send }: Request<'fileStatus'>): Promise<void> {
  const file = await relay.store.getFile(frame.space, frame.file);
  if (!file) throw new HearthError('NOT_FOUND', 'No such file in this space; begin an upload first.');
  send(status(frame.rid, file));
}

export async function fileGet({ relay, frame, send }: Request<'fileGet'>): Promise<void> {
  const chunk = await relay.store.getChunk(frame.space, frame.file, frame.index);
  if (!chunk) throw new HearthError('NOT_FOUND', 'That chunk is not on the relay (yet); check fileStatus.');
  send({ t: 'fileData', rid: frame.rid, file: frame.file, index: frame.index, parts: [chunk] });
}

export async function fileDelete({ relay, frame, send }: Request<'fileDelete'>, caller: Member): Promise<void> {
  await relay.store.deleteFile(frame.space, frame.file, writerOf(caller));
  // S9: the chunks' ciphertext leaves the WAL and the freed pages too, as a deleted document's does.
  await relay.store.driver.scrub();
  send(ok(frame.rid));
}
