/**
 * The parity suite's two doors onto the same use cases: the app's API (the in-process door over a
 * real Session, as the pages use it) and the `hearth` CLI (real processes). A scenario is written
 * once against `Person` and run through each door against a real relay; the suite then compares
 * what each run saw: every action's outcome (ok, or the refusal's code and message), what the relay
 * holds, and what the other members see.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { HearthApi } from '../../common/api/contract.ts';
import type { Result } from '../../common/errors.ts';
import type { Role } from '../../common/roles.ts';
import type { Session } from '../../main/app/session.ts';
import { runHearth, type Run } from './cli-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { inProcess } from './transport-fixture.ts';
import { tempDir } from '../support/vault.ts';
import { join } from 'node:path';

/** What an action came to: ok, or refused with a code and a message (usernames in it replaced by the people's names). */
export type Outcome = 'ok' | { code: string; message: string };

export interface Thread {
  texts: string[];
  resolved: boolean;
}

/** One person using Hearth through one door, with a vault of their own. */
export interface Person {
  readonly name: string;
  readonly username: string;
  registerOn(relay: string): Promise<void>;
  createTeam(name: string, relay: string): Promise<string>;
  createDocument(workspaceId: string, title: string): Promise<string>;
  documentTitles(workspaceId: string): Promise<string[]>;
  workspaceIds(): Promise<string[]>;
  invite(workspaceId: string, username: string, role: Role): Promise<Outcome>;
  accept(workspaceId: string): Promise<Outcome>;
  /** One exchange with the relays (the CLI's `hearth sync`; in the app, the live engine's round done now). */
  sync(): Promise<void>;
  members(workspaceId: string): Promise<Record<string, string>>;
  deleteWorkspace(workspaceId: string): Promise<Outcome>;
  leave(workspaceId: string): Promise<Outcome>;
  transfer(workspaceId: string, username: string): Promise<Outcome>;
  setRole(workspaceId: string, username: string, role: Role): Promise<Outcome>;
  /** Pauses or resumes; the outcome, and the sync state it reports. */
  pause(workspaceId: string): Promise<{ outcome: Outcome; state?: string }>;
  resume(workspaceId: string): Promise<{ outcome: Outcome; state?: string }>;
  /** Adds a comment (a reply with `replyTo`); its id. */
  comment(documentId: string, text: string, replyTo?: string): Promise<string>;
  resolve(threadId: string, resolved: boolean): Promise<Outcome>;
  deleteComment(commentId: string): Promise<Outcome>;
  threads(documentId: string): Promise<Thread[]>;
  /** Deletes the account; `skip` names the relays the person confirmed are gone for good (the CLI skips whichever it cannot reach: --force-local). */
  deleteAccount(skip?: string[]): Promise<{ outcome: Outcome; skipped?: string[] }>;
  /** Whether the vault is still on this device. */
  hasVault(): Promise<boolean>;
  close(): Promise<void>;
}

export interface Door {
  name: 'api' | 'cli';
  person(name: string): Promise<Person>;
}

/** Usernames in messages become the people's names, so runs with different usernames compare. */
export class Names {
  private readonly byUsername = new Map<string, string>();
  add(person: Person): void {
    this.byUsername.set(person.username, person.name);
  }
  normalise(text: string): string {
    let out = text;
    // Longest first, so a username that contains another is replaced whole.
    for (const [username, name] of [...this.byUsername].sort((a, b) => b[0].length - a[0].length)) out = out.split(username).join(`<${name}>`);
    return out;
  }
}

const API_PASSPHRASE = 'a long enough passphrase';
let counter = 0;
const usernameFor = (name: string, door: string) => `${name}-${door}-${process.pid}-${++counter}`.slice(0, 32);

function outcomeOf<T>(result: Result<T>): Outcome {
  return result.ok ? 'ok' : { code: result.error.code, message: result.error.message };
}

function valueOf<T>(result: Result<T>, what: string): T {
  if (!result.ok) throw new Error(`${what}: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** The app's door: a Session of its own per person, reached through the in-process API. */
export const apiDoor: Door = {
  name: 'api',
  async person(name) {
    const app = await inProcess.start({ sync: { backoff: { initialMs: 50, maxMs: 500 } }, membershipPollMs: 0 });
    const api: HearthApi = await app.connect();
    const session: Session = app.session!;
    const username = usernameFor(name, 'api');
    valueOf(await api.createVault({ passphrase: API_PASSPHRASE, username, displayName: name }), 'createVault');
    const threads = async (documentId: string) => valueOf(await api.listComments(documentId), 'listComments');
    const statusOf = (result: Result<{ state: string }>) => ({ outcome: outcomeOf(result), ...(result.ok ? { state: result.value.state } : {}) });
    return {
      name,
      username,
      registerOn: async (relay) => void valueOf(await api.registerAccount(relay), 'registerAccount'),
      createTeam: async (workspace, relay) => valueOf(await api.createTeamWorkspace(workspace, relay), 'createTeamWorkspace').id,
      createDocument: async (workspaceId, title) => valueOf(await api.createDocument(workspaceId, { title }), 'createDocument').id,
      documentTitles: async (workspaceId) =>
        valueOf(await api.listDocuments(workspaceId), 'listDocuments')
          .map((d) => d.title)
          .sort(),
      workspaceIds: async () => valueOf(await api.listWorkspaces(), 'listWorkspaces').map((w) => w.id),
      invite: async (workspaceId, invitee, role) => outcomeOf(await api.inviteMember(workspaceId, invitee, role)),
      accept: async (workspaceId) => outcomeOf(await api.acceptInvitation(workspaceId)),
      sync: async () => {
        await session.sync!.syncOnce().catch(() => undefined);
        for (const status of session.sync!.status()) await session.sync!.checkMembership(status.workspaceId).catch(() => undefined);
      },
      members: async (workspaceId) =>
        Object.fromEntries(valueOf(await api.listMembers(workspaceId), 'listMembers').map((m) => [m.username ?? m.account, m.role])),
      deleteWorkspace: async (workspaceId) => outcomeOf(await api.deleteTeamWorkspace(workspaceId)),
      leave: async (workspaceId) => outcomeOf(await api.leaveWorkspace(workspaceId)),
      transfer: async (workspaceId, to) => outcomeOf(await api.transferOwnership(workspaceId, to)),
      setRole: async (workspaceId, member, role) => outcomeOf(await api.setMemberRole(workspaceId, member, role)),
      pause: async (workspaceId) => statusOf(await api.pauseSync(workspaceId)),
      resume: async (workspaceId) => statusOf(await api.resumeSync(workspaceId)),
      comment: async (documentId, text, replyTo) => {
        const list = valueOf(await api.addComment(documentId, { text, ...(replyTo ? { replyTo } : {}) }), 'addComment');
        return list.flatMap((t) => t.comments).find((c) => c.text === text)!.id;
      },
      resolve: async (threadId, resolved) => outcomeOf(await api.resolveComment(threadId, resolved)),
      deleteComment: async (commentId) => outcomeOf(await api.deleteComment(commentId)),
      threads: async (documentId) => (await threads(documentId)).map((t) => ({ texts: t.comments.map((c) => c.text), resolved: t.resolved })),
      deleteAccount: async (skip) => {
        const result = await (skip ? api.deleteAccount(username, { skipRelays: skip }) : api.deleteAccount(username));
        return { outcome: outcomeOf(result), ...(result.ok ? { skipped: result.value.skipped } : {}) };
      },
      hasVault: async () => valueOf(await api.status(), 'status').state !== 'no-vault',
      close: () => app.close(),
    };
  },
};

/** The CLI's door: `hearth … --json` as real processes on a vault folder of the person's own. */
export const cliDoor: Door = {
  name: 'cli',
  async person(name) {
    const vaultDir = join(tempDir('hearth-parity-cli-'), 'vault');
    const username = usernameFor(name, 'cli');
    const env = { ...process.env, HEARTH_VAULT: vaultDir, HEARTH_PASSPHRASE: `passphrase of ${name}` };
    const hearth = (args: string[]): Promise<Run> => runHearth([...args, '--json'], env);
    /** The run's outcome: exit 0 is ok; exit 1 printed the refusal as JSON on stdout and one line on stderr. Bad usage (2) is the test's own mistake. */
    const outcome = (run: Run): Outcome => {
      if (run.code === 0) return 'ok';
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1);
      const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string } };
      expect(run.stderr).toBe(`hearth: ${error.message}\n`);
      return { code: error.code, message: error.message };
    };
    const value = async <T>(args: string[]): Promise<T> => {
      const run = await hearth(args);
      if (run.code !== 0) throw new Error(`hearth ${args.join(' ')}: exit ${run.code}: ${run.stderr}`);
      return JSON.parse(run.stdout) as T;
    };
    const statusOf = async (args: string[]) => {
      const run = await hearth(args);
      const result = outcome(run);
      return { outcome: result, ...(result === 'ok' ? { state: (JSON.parse(run.stdout) as { state: string }).state } : {}) };
    };
    await value(['init', '--username', username, '--name', name]);
    return {
      name,
      username,
      registerOn: async (relay) => void (await value(['account', 'register', '--relay', relay])),
      createTeam: async (workspace, relay) => (await value<{ id: string }>(['workspace', 'create', workspace, '--relay', relay])).id,
      createDocument: async (workspaceId, title) => (await value<{ id: string }>(['doc', 'create', '--workspace', workspaceId, '--title', title])).id,
      documentTitles: async (workspaceId) => (await value<Array<{ title: string }>>(['doc', 'list', '--workspace', workspaceId])).map((d) => d.title).sort(),
      workspaceIds: async () => (await value<Array<{ id: string }>>(['workspace', 'list'])).map((w) => w.id),
      invite: async (workspaceId, invitee, role) => outcome(await hearth(['member', 'add', workspaceId, invitee, '--role', role])),
      accept: async (workspaceId) => outcome(await hearth(['invite', 'accept', workspaceId])),
      sync: async () => void (await hearth(['sync'])),
      members: async (workspaceId) =>
        Object.fromEntries(
          (await value<Array<{ username?: string; account: string; role: string }>>(['member', 'list', workspaceId])).map((m) => [
            m.username ?? m.account,
            m.role,
          ]),
        ),
      deleteWorkspace: async (workspaceId) => outcome(await hearth(['workspace', 'delete', workspaceId])),
      leave: async (workspaceId) => outcome(await hearth(['workspace', 'leave', workspaceId])),
      transfer: async (workspaceId, to) => outcome(await hearth(['member', 'transfer', workspaceId, to])),
      setRole: async (workspaceId, member, role) => outcome(await hearth(['member', 'role', workspaceId, member, role])),
      pause: (workspaceId) => statusOf(['sync', 'pause', workspaceId]),
      resume: (workspaceId) => statusOf(['sync', 'resume', workspaceId]),
      comment: async (documentId, text, replyTo) =>
        (await value<{ id: string }>(['comment', 'add', documentId, '--text', text, ...(replyTo ? ['--reply-to', replyTo] : [])])).id,
      resolve: async (threadId, resolved) => outcome(await hearth(['comment', 'resolve', threadId, ...(resolved ? [] : ['--reopen'])])),
      deleteComment: async (commentId) => outcome(await hearth(['comment', 'delete', commentId])),
      threads: async (documentId) =>
        (await value<Array<{ resolved: boolean; comments: Array<{ text: string }> }>>(['comment', 'list', documentId])).map((t) => ({
          texts: t.comments.map((c) => c.text),
          resolved: t.resolved,
        })),
      deleteAccount: async (skip) => {
        const run = await hearth(['account', 'delete', '--confirm', username, ...(skip ? ['--force-local'] : [])]);
        const result = outcome(run);
        return { outcome: result, ...(result === 'ok' ? { skipped: (JSON.parse(run.stdout) as { skipped: string[] }).skipped } : {}) };
      },
      hasVault: async () => (await hearth(['workspace', 'list'])).code === 0,
      close: async () => undefined,
    };
  },
};

export const doors: Door[] = [apiDoor, cliDoor];

/** What the relay itself holds about a space: whether it exists, and who is a member in which role (by the people's names). */
export async function relayHolds(relay: TestRelay, spaceId: string, people: Person[]): Promise<{ exists: boolean; members: Record<string, string> }> {
  const exists = (await relay.store.getSpace(spaceId)) !== undefined;
  const names = new Map<string, string>();
  for (const person of people) {
    const account = await relay.store.findByUsername(person.username);
    if (account) names.set(account.account, person.name);
  }
  const members = exists ? [...(await relay.store.getMembers(spaceId))].map(([account, role]) => [names.get(account) ?? account, role] as const).sort() : [];
  return { exists, members: Object.fromEntries(members) };
}

/** The same members by the people's names. */
export function byName(members: Record<string, string>, people: Person[]): Record<string, string> {
  const names = new Map(people.map((p) => [p.username, p.name]));
  return Object.fromEntries(
    Object.entries(members)
      .map(([username, role]) => [names.get(username) ?? username, role])
      .sort(),
  );
}

/** A run's log: what each step came to (refusals with their messages in the people's names), and what was observed. */
export function runLog(names: Names): { log: Record<string, unknown>; record(key: string, outcome: Outcome): Outcome } {
  const log: Record<string, unknown> = {};
  return {
    log,
    record(key, outcome) {
      log[key] = outcome === 'ok' ? 'ok' : { code: outcome.code, message: names.normalise(outcome.message) };
      return outcome;
    },
  };
}

/** The people `names`, each with a vault through `door`, for `run`; closed afterwards whatever happened. */
export async function withPeople<T>(door: Door, names: string[], run: (people: Person[], normalise: Names) => Promise<T>): Promise<T> {
  const people: Person[] = [];
  const normalise = new Names();
  try {
    for (const name of names) {
      const person = await door.person(name);
      normalise.add(person);
      people.push(person);
    }
    return await run(people, normalise);
  } finally {
    for (const person of people) await person.close();
  }
}

/**
 * The suite for one scenario: run through each door against a relay of its own (one relay for the
 * file), each run checking what the rules say as it goes and returning its log of outcomes and
 * observations; then the two logs must be equal, refusals word for word.
 */
export function throughEachDoor(what: string, timeoutMs: number, scenario: (door: Door, relay: TestRelay) => Promise<Record<string, unknown>>): void {
  let relay: TestRelay;
  const seen = new Map<string, Record<string, unknown>>();
  beforeAll(async () => {
    relay = await startTestRelay();
  });
  afterAll(async () => {
    await relay?.stop();
  });
  for (const door of doors) {
    describe(`through the ${door.name}`, { timeout: timeoutMs }, () => {
      test(what, async () => {
        seen.set(door.name, await scenario(door, relay));
      });
    });
  }
  describe('parity', () => {
    test('the app and the CLI came to the same outcomes, refusals word for word, and saw the same', () => {
      expect([...seen.keys()].sort()).toEqual(['api', 'cli']);
      expect(seen.get('cli')).toEqual(seen.get('api'));
    });
  });
}
