/**
 * Every failure Hearth reports carries a stable code (for programs and tests) and a message
 * that tells the user what to do next. Nothing throws a bare Error across a boundary.
 */
export const ErrorCodes = [
  'BAD_REQUEST',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'WRONG_PASSPHRASE',
  /** The vault has a second factor: unlock again with the security key (or a recovery code) as well. */
  'SECOND_FACTOR_REQUIRED',
  /** The security key or recovery code given does not belong to this vault (or the code was used). */
  'WRONG_SECOND_FACTOR',
  /** The confirmation code typed does not match the one this device computed for a pairing: it was declined, nothing stored. */
  'WRONG_CONFIRMATION_CODE',
  /** A typed recovery key is malformed (length, characters or checksum): a typo, caught before anything is sent. */
  'BAD_RECOVERY_KEY',
  /** A well-formed recovery key that is not the active recovery key of the account named: nothing was stored. */
  'WRONG_RECOVERY_KEY',
  'VAULT_NOT_FOUND',
  'VAULT_EXISTS',
  'VAULT_CORRUPT',
  'VAULT_LOCKED',
  /** Another process held the vault's write lock for longer than Hearth waits. */
  'VAULT_BUSY',
  /** The vault's file or folder cannot be written (permissions, a read-only disk). */
  'VAULT_READ_ONLY',
  /** The vault was written by a newer Hearth, with a schema this one does not know. */
  'VAULT_TOO_NEW',
  /** No space left where the vault lives. */
  'DISK_FULL',
  /** Writing the vault file failed for another reason (an I/O error, a file size limit). */
  'VAULT_WRITE_FAILED',
  'RECORD_TAMPERED',
  'TOO_LARGE',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'RATE_LIMITED',
  'LIMIT_EXCEEDED',
  'EXPIRED',
  'CONFLICT',
  /** A change to a generation of a document whose history was forgotten since: carry the edits onto the new generation. */
  'STALE_GENERATION',
  'UNAVAILABLE',
  /** ws:// or http:// to another machine, or TLS older than 1.3: nothing was sent. */
  'INSECURE_TRANSPORT',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export class HearthError extends Error {
  override readonly name = 'HearthError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isHearthError(value: unknown, code?: ErrorCode): value is HearthError {
  return value instanceof HearthError && (code === undefined || value.code === code);
}

/** The `{ ok, value } | { ok: false, error }` shape used wherever a call crosses a boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string } };
