/** What a call that Hearth refuses says: its error code and message, for tests of refusals. */
import { isHearthError, type ErrorCode } from '../../common/errors.ts';

/**
 * Runs `run` (a promise, or a function that may throw or return one) and returns the HearthError
 * it was refused with — code undefined and message "succeeded" when it was not refused; any other
 * error is rethrown, so a crash is not mistaken for a refusal.
 */
export async function refusalOf(run: Promise<unknown> | (() => unknown)): Promise<{ code: ErrorCode | undefined; message: string }> {
  try {
    await (typeof run === 'function' ? run() : run);
  } catch (error) {
    if (isHearthError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  return { code: undefined, message: 'succeeded' };
}

/** The error code `run` was refused with, or undefined when it succeeded. */
export async function codeOf(run: Promise<unknown> | (() => unknown)): Promise<ErrorCode | undefined> {
  return (await refusalOf(run)).code;
}
