/**
 * The one door into main. Every call from a page, whatever the transport, passes here: the
 * sender is checked, the method must be in the contract, the arguments must pass the method's
 * schema, and whatever happens the caller gets a Result. Nothing throws across it, and an
 * unexpected error reaches the page as INTERNAL without its stack or message.
 */
import type { z } from 'zod';
import { apiArgs, isApiMethod, type ApiHandlers, type ApiMethod } from '../../common/api/contract.ts';
import { isHearthError, type Result } from '../../common/errors.ts';
import { vaultErrorOf } from '../vault/database.ts';

export interface DoorOptions<Sender> {
  handlers: ApiHandlers;
  /** The transport's check that a call comes from our own page (frame URL, socket's token and Origin). */
  isAllowedSender: (sender: Sender) => boolean;
  /** Called for every admitted call with its method: the session decides what counts as user activity. */
  onActivity?: (method: ApiMethod) => void;
  /** Where unexpected errors go, stack and all; the page only learns that something failed. */
  logUnexpected?: (method: string, error: unknown) => void;
}

export type Door<Sender> = (sender: Sender, method: unknown, args: unknown) => Promise<Result<unknown>>;

const MAX_ISSUES_SHOWN = 3;

function describeIssues(method: ApiMethod, error: z.ZodError): string {
  const issues = error.issues.slice(0, MAX_ISSUES_SHOWN).map((issue) => {
    const where = issue.path.length > 0 ? `argument ${issue.path.map(String).join('.')}` : 'the arguments';
    return `${where}: ${issue.message}`;
  });
  return `${method} was called with bad arguments (${issues.join('; ')}). Check the call against common/api/contract.ts.`;
}

function defaultLog(method: string, error: unknown): void {
  console.error(`hearth: ${method} failed unexpectedly`, error);
}

export function createDoor<Sender>(options: DoorOptions<Sender>): Door<Sender> {
  const log = options.logUnexpected ?? defaultLog;
  return async (sender, method, args) => {
    let allowed = false;
    try {
      allowed = options.isAllowedSender(sender);
    } catch {
      allowed = false;
    }
    if (!allowed) return { ok: false, error: { code: 'FORBIDDEN', message: 'This caller may not use the Hearth API. Only the Hearth window itself can.' } };
    if (!isApiMethod(method)) {
      return {
        ok: false,
        error: {
          code: 'BAD_REQUEST',
          message: `There is no API method ${JSON.stringify(String(method).slice(0, 64))}. The methods are listed in common/api/contract.ts.`,
        },
      };
    }
    const parsed = apiArgs[method].safeParse(args);
    if (!parsed.success) return { ok: false, error: { code: 'BAD_REQUEST', message: describeIssues(method, parsed.error) } };
    options.onActivity?.(method);
    try {
      const handler = options.handlers[method] as (...a: unknown[]) => unknown;
      const value = await handler(...(parsed.data as unknown[]));
      return { ok: true, value: value === undefined ? null : value };
    } catch (thrown) {
      // SQLite's own failures (a full disk, a busy vault) that reached here unnamed get their name.
      const error = vaultErrorOf(thrown) ?? thrown;
      if (isHearthError(error) && error.code !== 'INTERNAL') return { ok: false, error: { code: error.code, message: error.message } };
      log(method, error);
      return {
        ok: false,
        error: {
          code: 'INTERNAL',
          message: `Hearth could not complete ${method} because of an internal error. Try again; if it keeps happening, restart Hearth.`,
        },
      };
    }
  };
}
