/**
 * The API contract on a byte stream (browser mode's WebSocket). One message is one raw frame
 * (common/protocol/frame.ts) with exactly two parts:
 *
 *   part 0  UTF-8 JSON of the message, where each Uint8Array became {"$bytes": [offset, length]}
 *   part 1  every Uint8Array of the message, back to back
 *
 * The JSON goes in a part rather than the frame header because an audit log or a comment list
 * can outgrow the header's 64 KiB limit, and the bytes share one part because applyChanges may
 * carry more changes than the frame's part limit. Bytes never travel as base64.
 */
import { HearthError, type Result } from '../errors.ts';
import { decodeRawFrame, encodeRawFrame } from '../protocol/frame.ts';
import type { ApiEvent, ApiEvents } from './contract.ts';

export interface WireRequest {
  id: number;
  method: string;
  args: unknown[];
}

export interface WireResponse {
  id: number;
  result: Result<unknown>;
}

export interface WireEvent<E extends ApiEvent = ApiEvent> {
  event: E;
  payload: ApiEvents[E];
}

export type WireMessage = ({ type: 'request' } & WireRequest) | ({ type: 'response' } & WireResponse) | ({ type: 'event' } & WireEvent);

const FRAME_KIND = 'hearth-api';
const BYTES_KEY = '$bytes';
const MAX_DEPTH = 64;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function bad(why: string): never {
  throw new HearthError('BAD_REQUEST', `Malformed API message: ${why}. Send messages built by encodeWireMessage().`);
}

/** Replaces every Uint8Array in `value` with a placeholder and collects the bytes. */
function extractBytes(value: unknown, parts: Uint8Array[], offset: { next: number }, depth: number): unknown {
  if (depth > MAX_DEPTH) bad('nested too deeply');
  if (value instanceof Uint8Array) {
    const placeholder = { [BYTES_KEY]: [offset.next, value.length] };
    parts.push(value);
    offset.next += value.length;
    return placeholder;
  }
  if (Array.isArray(value)) return value.map((item) => extractBytes(item, parts, offset, depth + 1));
  if (typeof value === 'object' && value !== null) {
    if (Object.hasOwn(value, BYTES_KEY)) bad(`an object may not have a "${BYTES_KEY}" key`);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = extractBytes(item, parts, offset, depth + 1);
    }
    return out;
  }
  return value;
}

/** Puts the bytes back where their placeholders are; the Uint8Arrays are views into the frame. */
function restoreBytes(value: unknown, blob: Uint8Array, depth: number): unknown {
  if (depth > MAX_DEPTH) bad('nested too deeply');
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restoreBytes(value[i], blob, depth + 1);
    return value;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (Object.hasOwn(record, BYTES_KEY)) {
      const span = record[BYTES_KEY];
      const keys = Object.keys(record);
      if (keys.length !== 1 || !Array.isArray(span) || span.length !== 2) bad('a bytes placeholder is [offset, length]');
      const [start, length] = span as unknown[];
      if (
        !Number.isSafeInteger(start) ||
        !Number.isSafeInteger(length) ||
        (start as number) < 0 ||
        (length as number) < 0 ||
        (start as number) + (length as number) > blob.length
      ) {
        bad('a bytes placeholder points outside the message');
      }
      return blob.subarray(start as number, (start as number) + (length as number));
    }
    for (const key of Object.keys(record)) {
      // defineProperty, not assignment: a "__proto__" key from JSON must stay a plain property.
      Object.defineProperty(record, key, { value: restoreBytes(record[key], blob, depth + 1), enumerable: true, writable: true, configurable: true });
    }
  }
  return value;
}

export function encodeWireMessage(message: WireMessage): Uint8Array {
  const parts: Uint8Array[] = [];
  const body = extractBytes(message, parts, { next: 0 }, 0);
  const blob = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    blob.set(part, offset);
    offset += part.length;
  }
  return encodeRawFrame({ kind: FRAME_KIND }, [encoder.encode(JSON.stringify(body)), blob]);
}

/** Decodes and shape-checks one message. Argument values are left for the door's schemas. */
export function decodeWireMessage(bytes: Uint8Array): WireMessage {
  const frame = decodeRawFrame(bytes);
  if (frame.header.kind !== FRAME_KIND || frame.parts.length !== 2) bad(`expected a "${FRAME_KIND}" frame with two parts`);
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(frame.parts[0]));
  } catch {
    bad('the body is not UTF-8 JSON');
  }
  const message = restoreBytes(body, frame.parts[1]!, 0) as Record<string, unknown>;
  if (typeof message !== 'object' || message === null || Array.isArray(message)) bad('the body is not an object');
  switch (message.type) {
    case 'request':
      if (!Number.isSafeInteger(message.id) || typeof message.method !== 'string' || !Array.isArray(message.args)) bad('a request is {id, method, args[]}');
      return message as unknown as WireMessage;
    case 'response': {
      const result = message.result as Record<string, unknown> | undefined;
      if (!Number.isSafeInteger(message.id) || typeof result !== 'object' || result === null || typeof result.ok !== 'boolean')
        bad('a response is {id, result}');
      return message as unknown as WireMessage;
    }
    case 'event':
      if (typeof message.event !== 'string' || !('payload' in message)) bad('an event is {event, payload}');
      return message as unknown as WireMessage;
    default:
      bad('unknown message type');
  }
}

/** Browser mode: the path of the API's WebSocket, and the subprotocol a page asks for (its token rides beside it as `token.<token>`). */
export const API_PATH = '/api';
export const API_SUBPROTOCOL = 'hearth-api';
export const TOKEN_SUBPROTOCOL_PREFIX = 'token.';

/** Electron's IPC channels: calls go to main on one, events come back on the other. Structured clone carries the bytes. */
export const IPC_CALL_CHANNEL = 'hearth:call';
export const IPC_EVENT_CHANNEL = 'hearth:event';
