/**
 * The page's HearthApi, provided once at start-up, and `call`, which turns a Result into a value
 * or a thrown ApiFailure so that stores can handle errors in one place.
 */
import type { HearthApi } from '../../common/api/contract.ts';
import type { ErrorCode, Result } from '../../common/errors.ts';

let current: HearthApi | null = null;

export function provideApi(api: HearthApi): void {
  current = api;
}

export function hearth(): HearthApi {
  if (!current) throw new Error('The Hearth API is not connected yet.');
  return current;
}

/** A failed API call, carrying main's stable code and its message for the user. */
export class ApiFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export async function call<T>(pending: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await pending;
  } catch (error) {
    throw new ApiFailure('UNAVAILABLE', `Hearth could not reach its core (${String(error)}). Reload the page or restart Hearth.`);
  }
  if (result.ok) return result.value;
  throw new ApiFailure(result.error.code, result.error.message);
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
