/**
 * How every client side of the contract is built: the browser-mode client, the in-process client
 * tests and tools use, and whatever comes next. Each brings only its way to call main and feeds in
 * the events it hears; the methods and `on` come from here, so no client restates the method list
 * or keeps listener sets of its own.
 */
import { Emitter } from '../emitter.ts';
import type { Result } from '../errors.ts';
import { apiMethods, type ApiEvent, type ApiEvents, type ApiMethod, type HearthApi } from './contract.ts';

export interface ApiClient {
  api: HearthApi;
  /** Hands an event from main to the listeners `api.on` registered. */
  deliver<E extends ApiEvent>(event: E, payload: ApiEvents[E]): void;
}

/** A HearthApi whose every method is `call(method, args)`; `onListenerError` hears listeners that threw (the others still ran). */
export function buildApiClient(call: (method: ApiMethod, args: unknown[]) => Promise<Result<unknown>>, onListenerError?: (error: unknown) => void): ApiClient {
  const emitters = new Map<ApiEvent, Emitter<unknown>>();
  const emitterOf = (event: ApiEvent): Emitter<unknown> => {
    let emitter = emitters.get(event);
    if (!emitter) {
      emitter = new Emitter<unknown>();
      emitters.set(event, emitter);
    }
    return emitter;
  };
  const api: Record<string, unknown> = {
    on: (event: ApiEvent, listener: (payload: never) => void) => emitterOf(event).on(listener as (payload: unknown) => void),
  };
  for (const method of apiMethods) api[method] = (...args: unknown[]) => call(method, args);
  return {
    api: api as unknown as HearthApi,
    deliver(event, payload) {
      for (const error of emitters.get(event)?.emit(payload) ?? []) onListenerError?.(error);
    },
  };
}
