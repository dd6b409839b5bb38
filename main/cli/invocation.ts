/**
 * What every `hearth` command shares: its parsed invocation, how it reaches the vault and the use
 * cases, how it prints (`--json`: one JSON document on stdout), and the arguments several
 * commands take (roles, durations, a body from a file or stdin).
 */
import { readFileSync } from 'node:fs';
import { HearthError, isHearthError } from '../../common/errors.ts';
import { terminalText } from './terminal-text.ts';
import type { ParseArgsConfig } from 'node:util';
import { Roles, type Role } from '../../common/roles.ts';
import { SyncEngine } from '../sync/engine.ts';
import type { Unlocked } from '../usecases/unlocked.ts';
import { Vault } from '../vault/vault.ts';
import { askSecret } from './prompt.ts';

/** Bad usage: exit 2, with the command's usage on the same line. */
export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
}

export interface Invocation {
  values: Values;
  positionals: string[];
  io: Io;
  vaultDir: string;
  json: boolean;
  /** Whether the command printed its result on stdout already (a refusal after that prints no JSON of its own). */
  printed: boolean;
}

export interface Command {
  usage: string;
  options?: Options;
  positionals: [min: number, max: number];
  run: (call: Invocation) => Promise<void>;
}

export const GLOBAL_OPTIONS: Options = {
  vault: { type: 'string' },
  'recovery-code': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export async function passphrase(io: Io, prompt = 'Passphrase: '): Promise<string> {
  return io.env.HEARTH_PASSPHRASE ?? askSecret(prompt);
}

export async function newPassphrase(io: Io, envName: string): Promise<string> {
  const fromEnv = io.env[envName];
  if (fromEnv !== undefined) return fromEnv;
  const first = await askSecret('New passphrase: ');
  const second = await askSecret('Repeat it: ');
  if (first !== second) throw new UsageError('The two passphrases differ.');
  return first;
}

/**
 * Unlocks the vault. One with a second factor needs the security key, which a terminal cannot
 * ask: a recovery code (--recovery-code or HEARTH_RECOVERY_CODE) stands in for it, once.
 */
async function unlockVault(call: Invocation): Promise<Vault> {
  const code = (call.values['recovery-code'] as string | undefined) ?? call.io.env.HEARTH_RECOVERY_CODE;
  let vault: Vault;
  try {
    vault = await Vault.unlock(call.vaultDir, await passphrase(call.io), {}, code ? { kind: 'recovery', code } : undefined);
  } catch (error) {
    if (!isHearthError(error, 'SECOND_FACTOR_REQUIRED')) throw error;
    throw new HearthError(
      'SECOND_FACTOR_REQUIRED',
      'This vault needs its second factor, a security key, which the hearth command cannot use. Unlock it in the Hearth app, or give one of your recovery codes with --recovery-code CODE (or HEARTH_RECOVERY_CODE): each code works once.',
    );
  }
  const left = code ? vault.secondFactor.info()?.recoveryCodesLeft : undefined;
  if (left !== undefined && !call.json) call.io.err(`Used a recovery code; it will not work again. ${left} left: make new ones in Settings → Security.\n`);
  return vault;
}

export async function withVault<T>(call: Invocation, fn: (vault: Vault) => Promise<T> | T): Promise<T> {
  const vault = await unlockVault(call);
  try {
    return await fn(vault);
  } finally {
    if (!vault.isLocked) vault.lock();
  }
}

/** The vault with a sync engine over it, for the use cases; every relay connection is closed before exit. */
export async function withUseCases<T>(call: Invocation, fn: (u: Unlocked) => Promise<T> | T): Promise<T> {
  return withVault(call, async (vault) => {
    const engine = new SyncEngine(vault);
    try {
      return await fn({ vault, engine });
    } finally {
      await engine.close();
    }
  });
}

/** A workspace named by id or by name, as its id. */
export function workspaceArg(u: Unlocked, idOrName: string): string {
  return u.vault.workspaces.find(idOrName).workspace.id;
}

export function requiredString(call: Invocation, option: string, command: string, what = option.toUpperCase()): string {
  const value = call.values[option];
  if (typeof value !== 'string' || value === '') throw new UsageError(`${command} needs --${option} ${what}.`);
  return value;
}

export function optionalString(call: Invocation, option: string): string | undefined {
  const value = call.values[option];
  return typeof value === 'string' ? value : undefined;
}

export function roleArg(value: string | undefined, command: string): Role {
  if (!value) throw new UsageError(`${command} needs a role: ${Roles.join('|')}.`);
  if (!(Roles as readonly string[]).includes(value)) throw new UsageError(`${value} is not a role; use one of ${Roles.join(', ')}.`);
  return value as Role;
}

/** A duration such as 30m, 12h or 7d, in milliseconds. */
export function durationArg(text: string): number {
  const match = /^(\d{1,6})(s|m|h|d)$/.exec(text.trim());
  if (!match || Number(match[1]) === 0) throw new UsageError(`${text} is not a duration; use a positive number with s, m, h or d, such as 30m, 12h or 7d.`);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

export function print(call: Invocation, value: unknown, human: () => string): void {
  call.io.out(call.json ? `${JSON.stringify(value, null, 2)}\n` : human());
  call.printed = true;
}

export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const cells = rows.map((r) => r.map((cell) => terminalText(cell, { inline: true })));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

export function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(parts).toString('utf8');
}

/** The body for `doc create`/`doc edit`: the --file, or stdin when it is not a terminal. */
export async function bodyInput(call: Invocation, required: boolean): Promise<string | undefined> {
  const file = optionalString(call, 'file');
  if (file === '-') return readAll(call.io.stdin);
  if (file) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      throw new UsageError(`Cannot read ${file}.`);
    }
  }
  if (!call.io.stdin.isTTY && !required) return readAll(call.io.stdin);
  if (required) throw new UsageError('Give the new text with --file F (or --file - for stdin).');
  return undefined;
}

/** Progress on stderr, on one line, when a person is watching. */
export function progressLine(call: Invocation, verb: string): ((p: { phase: string; done: number; total: number }) => void) | undefined {
  if (call.json || !process.stderr.isTTY) return undefined;
  return ({ phase, done, total }) => {
    if (phase === 'done') process.stderr.write('\r\x1b[K');
    else process.stderr.write(`\r\x1b[K${verb} ${phase}: ${phase === 'files' ? `${Math.floor((100 * done) / Math.max(total, 1))}%` : `${done}/${total}`}`);
  };
}
