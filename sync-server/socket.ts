/**
 * Frames in from a client's WebSocket: rate limit, size limit, validation, then the request
 * table in the connection's order. Every refusal goes back as an error frame; nothing a client
 * sends can crash the relay.
 */
import { HearthError, isHearthError } from '../common/errors.ts';
import { decodeRawFrame } from '../common/protocol/frame.ts';
import { decodeClientFrame, encodeFrame, encodeTrustedFrame, type ClientFrame, type RelayFrame, type RelayFrameType } from '../common/protocol/messages.ts';
import type { Connection } from './connection.ts';
import { limitError } from './refusals.ts';
import type { RelayContext } from './requests/request.ts';
import { handleRequest } from './requests/table.ts';

/** The error frame for a refusal; anything but a HearthError is the relay's own fault and says only that. */
export function errorFrame(rid: number | null, error: unknown): RelayFrame {
  if (isHearthError(error)) {
    const limit = (error as HearthError & { limit?: string }).limit;
    return { t: 'error', rid, code: error.code, message: error.message, ...(limit ? { limit } : {}), parts: [] };
  }
  return {
    t: 'error',
    rid,
    code: 'INTERNAL',
    message: 'The relay failed on this request; try again, and report it to the relay operator if it persists.',
    parts: [],
  };
}

/**
 * Answers the relay sends most, built from values already validated on their way in or read
 * from its own tables; they skip a second schema check. Every other answer is checked before it
 * leaves, so a relay bug becomes an error frame rather than a frame the client rejects.
 */
const TRUSTED_ANSWERS: ReadonlySet<RelayFrameType> = new Set(['ok', 'changes', 'challenge', 'session']);

/** The request id of a frame too broken to decode, when its header still has a usable one. */
function ridOf(bytes: Uint8Array): number | null {
  try {
    const rid = decodeRawFrame(bytes).header.rid;
    return typeof rid === 'number' && Number.isInteger(rid) && rid >= 0 && rid < 2 ** 31 ? rid : null;
  } catch {
    return null;
  }
}

/** Takes one WebSocket message from `connection`; the answer (or error frame) goes back on it. */
export function receiveMessage(relay: RelayContext, connection: Connection, data: Buffer, isBinary: boolean): void {
  const { limits, log } = relay;
  const reply = (frame: RelayFrame) => {
    let bytes: Uint8Array;
    try {
      bytes = TRUSTED_ANSWERS.has(frame.t) ? encodeTrustedFrame(frame) : encodeFrame(frame);
    } catch (error) {
      // An answer that fails its own schema is a relay bug: log it, tell the client, stay up.
      log.write('error', 'invalid_answer', { connection: connection.id, frame: frame.t, message: (error as Error).message });
      bytes = encodeFrame(errorFrame('rid' in frame ? frame.rid : null, new Error('invalid answer')));
    }
    connection.send(bytes);
  };
  if (!isBinary)
    return reply(errorFrame(null, new HearthError('BAD_REQUEST', 'Send binary frames built by encodeFrame(); text frames are not part of the protocol.')));
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!connection.takeToken()) {
    if (connection.abusive) return connection.socket.close(1008, 'rate limit');
    return reply(
      errorFrame(
        ridOf(bytes),
        limitError('RATE_LIMITED', 'messagesPerSecond', `At most ${limits.messagesPerSecond} requests per second per connection; slow down and retry.`),
      ),
    );
  }
  if (bytes.length > limits.maxFrameBytes) {
    return reply(
      errorFrame(ridOf(bytes), limitError('TOO_LARGE', 'maxFrameBytes', `A frame is at most ${limits.maxFrameBytes} bytes; split the upload into chunks.`)),
    );
  }
  let frame: ClientFrame;
  try {
    frame = decodeClientFrame(bytes);
  } catch (error) {
    return reply(errorFrame(ridOf(bytes), error));
  }
  // A signed-in client's change is checked on a verification thread while its earlier requests
  // are still being handled; the handler picks the result up when its turn comes.
  if ((frame.t === 'push' || frame.t === 'putSnapshot') && connection.account && frame.parts[0]!.length <= limits.maxChangeBytes) {
    void relay.verifier.verifyChange(frame.parts[0]!);
  }
  connection.enqueue(async () => {
    try {
      await handleRequest(relay, connection, frame, reply);
    } catch (error) {
      if (!isHearthError(error)) log.write('error', 'request_failed', { connection: connection.id, frame: frame.t, message: (error as Error).message });
      reply(errorFrame('rid' in frame ? frame.rid : null, error));
    }
  });
}
