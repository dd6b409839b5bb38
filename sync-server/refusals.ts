/** The relay's coded refusals: a role or signature that does not allow a request, and a limit it exceeds. */
import { HearthError } from '../common/errors.ts';
import type { RelayLimits } from './limits.ts';

export function forbid(message: string): never {
  throw new HearthError('FORBIDDEN', message);
}

/** An error whose frame names the limit it hit (`limit` in the error frame), so a client can tell which one. */
export function limitError(code: 'TOO_LARGE' | 'LIMIT_EXCEEDED' | 'RATE_LIMITED', limit: keyof RelayLimits, message: string): HearthError & { limit: string } {
  return Object.assign(new HearthError(code, message), { limit });
}
