/**
 * One page's connection to the session: its handlers behind the door, its event sink, and how
 * it lets go. Every transport (Electron IPC, browser mode's WebSocket, tests in-process) opens
 * its pages through here, so they all meet the same door.
 */
import { apiMethods, type ApiEvent, type ApiEvents, type ApiMethod, type HearthApi } from '../../common/api/contract.ts';
import type { Result } from '../../common/errors.ts';
import type { EventSink, Session } from '../app/session.ts';
import { createDoor, type Door, type DoorOptions } from './door.ts';
import { createApiHandlers } from './handlers.ts';

/** Calls a page makes on its own (polling status, reading settings) are not the user at work: they must not hold off auto-lock. */
const PASSIVE_METHODS: ReadonlySet<ApiMethod> = new Set(['status', 'getSettings', 'syncStatus', 'syncWarnings', 'listInvitations']);

export interface ApiConnection<Sender> {
  readonly id: number;
  call: Door<Sender>;
  close(): void;
}

export function openApiConnection<Sender>(
  session: Session,
  sink: EventSink,
  options: Pick<DoorOptions<Sender>, 'isAllowedSender' | 'logUnexpected'>,
): ApiConnection<Sender> {
  const id = session.connect(sink);
  const call = createDoor<Sender>({
    ...options,
    handlers: createApiHandlers(session, id),
    onActivity: (method) => {
      if (!PASSIVE_METHODS.has(method)) session.touch();
    },
  });
  return { id, call, close: () => session.disconnect(id) };
}

/**
 * The API in the same process, through the same door (no transport): for tests and tools.
 * Arguments are not copied, as they would not be by a transport that validates them either.
 */
export function connectInProcess(session: Session): HearthApi & { close(): void } {
  const listeners = new Map<ApiEvent, Set<(payload: never) => void>>();
  const sink: EventSink = (event, payload) => {
    for (const listener of listeners.get(event) ?? []) (listener as (p: typeof payload) => void)(payload);
  };
  const connection = openApiConnection<null>(session, sink, { isAllowedSender: () => true });
  const api: Record<string, unknown> = {
    on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    close: () => connection.close(),
  };
  for (const method of apiMethods) api[method] = (...args: unknown[]): Promise<Result<unknown>> => connection.call(null, method, args);
  return api as unknown as HearthApi & { close(): void };
}
