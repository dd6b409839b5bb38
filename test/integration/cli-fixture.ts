/** Shared pieces for tests that run the `hearth` CLI as real processes against real vaults (and relays). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { tempDir } from '../support/vault.ts';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bin/hearth.js args` as a real process with `env`, writing `input` to its stdin. */
export function runHearth(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/hearth.js', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdin.end(input);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * `hearth device link` running on the vault in `env` toward `username`'s account at `relayUrl`:
 * resolves the confirmation code it shows, then its exit.
 */
export function linkDevice(env: NodeJS.ProcessEnv, relayUrl: string, username: string, name: string): { code: Promise<string>; done: Promise<Run> } {
  const child = spawn(process.execPath, ['bin/hearth.js', 'device', 'link', '--relay', relayUrl, '--username', username, '--name', name, '--wait', '60'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let shown!: (code: string) => void;
  const code = new Promise<string>((resolve) => (shown = resolve));
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
    const found = /Confirmation code: (\d{3}) (\d{3})/.exec(stdout);
    if (found) shown(found[1]! + found[2]!);
  });
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (exit) => resolve({ code: exit ?? -1, stdout, stderr })));
  return { code, done };
}

/** The JSON a successful `--json` run printed; the run must have exited 0 with nothing on stderr. */
export function jsonOf<T>(run: Run): T {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

export interface CliUsers<Who extends string> {
  /** The folder holding every user's vault (removed when the test file finishes). */
  root: string;
  /** Each user's username: `<who>-<pid>`. */
  users: Record<Who, string>;
  /** The vault folder of `who`. */
  vaultOf(who: Who): string;
  /** Runs the CLI as `who` (own vault, passphrase "passphrase of <who>"). */
  hearth(who: Who, args: string[], input?: string): Promise<Run>;
  /** Runs the CLI as `who` with `--json` and returns what it printed (it must succeed). */
  json<T>(who: Who, args: string[], input?: string): Promise<T>;
  /** Creates the vaults of `who` (all users by default) and registers each at `relayUrl`, in parallel. */
  initAndRegister(relayUrl: string, who?: readonly Who[]): Promise<void>;
}

/** CLI users named `names`, each with a vault of its own under a fresh temporary folder. */
export function cliUsers<Who extends string>(prefix: string, names: readonly Who[]): CliUsers<Who> {
  const root = tempDir(prefix);
  const suffix = String(process.pid);
  const users = Object.fromEntries(names.map((who) => [who, `${who}-${suffix}`])) as Record<Who, string>;
  const vaultOf = (who: Who): string => join(root, who);
  const hearth = (who: Who, args: string[], input = ''): Promise<Run> =>
    runHearth(args, { ...process.env, HEARTH_VAULT: vaultOf(who), HEARTH_PASSPHRASE: `passphrase of ${who}` }, input);
  const json = async <T>(who: Who, args: string[], input?: string): Promise<T> => jsonOf<T>(await hearth(who, [...args, '--json'], input));
  return {
    root,
    users,
    vaultOf,
    hearth,
    json,
    async initAndRegister(relayUrl, who = names) {
      await Promise.all(
        who.map(async (one) => {
          expect((await hearth(one, ['init', '--username', users[one]])).code).toBe(0);
          const registered = await json<{ username: string }>(one, ['account', 'register', '--relay', relayUrl]);
          expect(registered.username).toBe(users[one]);
        }),
      );
    },
  };
}
