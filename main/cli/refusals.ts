/**
 * Every way a `hearth` command can fail, as one line a person can act on: a HearthError's own
 * message, or what the operating system or SQLite said in words (a full disk, a read-only
 * folder, another process writing the vault). No stack: that is for `HEARTH_DEBUG=1`.
 */
import { isHearthError, type ErrorCode } from '../../common/errors.ts';
import { vaultErrorOf } from '../vault/database.ts';

export interface Refusal {
  code: ErrorCode;
  message: string;
  /** Nothing the person did explains it (a bug or a failing machine): the stack may help whoever looks into it. */
  unexpected: boolean;
}

interface SystemError {
  code: string;
  path?: string;
  message: string;
}

/** The first error along the `cause` chain that carries an operating-system or SQLite code. */
function systemErrorIn(error: unknown): SystemError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (/^E[A-Z]+$/.test(code) || code.startsWith('SQLITE_'))) {
      const path = (current as { path?: unknown }).path;
      return { code, message: current.message, ...(typeof path === 'string' ? { path } : {}) };
    }
  }
  return undefined;
}

function describeSystemError({ code, path, message }: SystemError): Omit<Refusal, 'unexpected'> | undefined {
  const where = path ? ` (${path})` : '';
  // SQLite reports a full disk as SQLITE_FULL, but a write refused for the size limit (EFBIG) or the quota only as a failed write.
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG' || code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE') {
    return {
      code: 'LIMIT_EXCEEDED',
      message: `The disk is full, or a file reached the size this system allows${where} (${code}): the command stopped and what it was writing was not kept. Free some space and run it again.`,
    };
  }
  if (code === 'EROFS' || code.startsWith('SQLITE_READONLY')) {
    return {
      code: 'FORBIDDEN',
      message: `The file system is read-only${where}: nothing could be written. Use a vault folder (--vault DIR) or an output path you can write to.`,
    };
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return {
      code: 'FORBIDDEN',
      message: `Permission denied${where}: this user may not read or write there. Check the folder's permissions, or choose another path.`,
    };
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return {
      code: 'CONFLICT',
      message:
        'Another process (the Hearth app or another hearth command) is writing this vault right now: nothing was changed. Run the command again in a moment.',
    };
  }
  if (code === 'ENOENT') return { code: 'NOT_FOUND', message: `No such file or folder${where}. Check the path.` };
  if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST')
    return { code: 'BAD_REQUEST', message: `${message.replace(/^[A-Z]+: /, '')}. Choose another path.` };
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') {
    return {
      code: 'UNAVAILABLE',
      message: `Reading or writing the disk failed${where} (${code}): the disk may be full or failing. Nothing of this command was kept; check the disk and try again.`,
    };
  }
  return undefined;
}

/** What to tell the person about `error`, in one line. */
export function refusalOf(error: unknown): Refusal {
  // The vault names SQLite's own failures (busy, read-only, disk full) itself; what reached here unnamed is named the same way.
  const fromVault = isHearthError(error) ? undefined : vaultErrorOf(error);
  if (fromVault) return { code: fromVault.code, message: oneLine(fromVault.message), unexpected: false };
  const system = systemErrorIn(error);
  const described = system && describeSystemError(system);
  if (described && !(isHearthError(error) && error.code !== 'INTERNAL')) return { ...described, unexpected: false };
  if (isHearthError(error) && error.code !== 'INTERNAL') return { code: error.code, message: oneLine(error.message), unexpected: false };
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    code: 'INTERNAL',
    message: `unexpected error (${oneLine(what)}). Nothing more was done; if it happens again, run it with HEARTH_DEBUG=1 and report what it prints.`,
    unexpected: true,
  };
}

/** A message on one line, whatever it held (a refusal never spreads over several). */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
