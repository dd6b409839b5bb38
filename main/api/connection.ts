/**
 * One page's connection to the session: its handlers behind the door, its event sink, and how
 * it lets go. Every transport (Electron IPC, browser mode's WebSocket, tests in-process) opens
 * its pages through here, so they all meet the same door.
 */
import { buildApiClient } from '../../common/api/client.ts';
import type { ApiMethod, HearthApi } from '../../common/api/contract.ts';
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
  const client = buildApiClient((method, args) => connection.call(null, method, args));
  const connection = openApiConnection<null>(session, (event, payload) => client.deliver(event, payload), { isAllowedSender: () => true });
  return Object.assign(client.api, { close: () => connection.close() });
}
