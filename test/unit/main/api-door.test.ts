/**
 * The one door into main: what a buggy or hostile page can send, and what it gets back.
 * Real session, real vault in a temporary folder.
 */
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { ApiHandlers } from '../../../common/api/contract.ts';
import { HearthError, type Result } from '../../../common/errors.ts';
import { createDoor, type Door } from '../../../main/api/door.ts';
import { createApiHandlers } from '../../../main/api/handlers.ts';
import type { Session } from '../../../main/app/session.ts';
import { testSession } from '../../integration/transport-fixture.ts';

const PASSPHRASE = 'a long enough passphrase';

function failed(result: Result<unknown>): { code: string; message: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('the door', () => {
  let session: Session;
  let door: Door<string>;
  const logged: Array<{ method: string; error: unknown }> = [];
  const trusted = 'app://hearth/index.html';

  beforeAll(async () => {
    session = testSession();
    door = createDoor<string>({
      handlers: createApiHandlers(session, 1),
      isAllowedSender: (sender) => sender === trusted,
      logUnexpected: (method, error) => logged.push({ method, error }),
    });
  });
  afterAll(() => session.close());

  test('before a vault exists, content calls say to create one', async () => {
    expect(failed(await door(trusted, 'listWorkspaces', []))).toEqual({ code: 'VAULT_NOT_FOUND', message: 'There is no vault yet. Create one first.' });
    const created = await door(trusted, 'createVault', [{ passphrase: PASSPHRASE, username: 'ada', displayName: 'Ada' }]);
    expect(created.ok).toBe(true);
  });

  test.each([
    ['an unknown method', 'deleteEverything', [], /no API method "deleteEverything"/],
    ['an inherited property as a method', '__proto__', [], /no API method/],
    ['toString as a method', 'toString', [], /no API method/],
    ['a method that is not a string', 42, [], /no API method "42"/],
    ['arguments that are not a list', 'createWorkspace', { 0: 'x' }, /createWorkspace was called with bad arguments/],
    ['a number for a name', 'createWorkspace', [42], /argument 0: .*string/],
    ['an extra argument', 'createWorkspace', ['Notes', 'extra'], /createWorkspace was called with bad arguments/],
    ['an unknown option', 'createDocument', ['ws1', { title: 'x', owner: 'mallory' }], /argument 1: .*owner/],
    ['a path for an id', 'openDocument', ['../../vault.sqlite'], /argument 0: an id is letters, digits/],
    ['a string for bytes', 'applyChanges', ['doc1', ['not bytes']], /argument 1\.0/],
    ['no changes at all', 'applyChanges', ['doc1', []], /argument 1/],
    ['a chunk over 4 MiB', 'uploadChunk', ['up1', new Uint8Array(4 * 1024 * 1024 + 1)], /a chunk is at most 4 MiB/],
    ['a negative offset', 'readFile', ['file1', -1], /argument 1/],
    ['a fractional auto-lock', 'updateSettings', [{ autoLockMinutes: 1.5 }], /argument 0\.autoLockMinutes/],
  ])('%s is BAD_REQUEST with a message that says what was wrong', async (_what, method, args, message) => {
    const error = failed(await door(trusted, method, args));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(message);
  });

  test('a call from a foreign sender is FORBIDDEN and never reaches a handler', async () => {
    const handlers = createApiHandlers(session, 2);
    const spy = vi.spyOn(handlers, 'listWorkspaces');
    const guarded = createDoor<string>({ handlers, isAllowedSender: (sender) => sender === trusted });
    for (const sender of ['https://evil.example/', 'app://hearth.evil/index.html', '']) {
      expect(failed(await guarded(sender, 'listWorkspaces', [])).code).toBe('FORBIDDEN');
    }
    const throwing = createDoor<string>({
      handlers,
      isAllowedSender: () => {
        throw new Error('no frame');
      },
    });
    expect(failed(await throwing(trusted, 'listWorkspaces', [])).code).toBe('FORBIDDEN');
    expect(spy).not.toHaveBeenCalled();
  });

  test('a HearthError keeps its code and message', async () => {
    const error = failed(await door(trusted, 'openDocument', ['nosuchdocument']));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toMatch(/nosuchdocument/);
    const limited = createDoor<string>({
      handlers: {
        ...createApiHandlers(session, 3),
        search: () => {
          throw new HearthError('RATE_LIMITED', 'Slow down; try again in a second.');
        },
      } satisfies ApiHandlers,
      isAllowedSender: () => true,
    });
    expect(failed(await limited(trusted, 'search', ['x']))).toEqual({ code: 'RATE_LIMITED', message: 'Slow down; try again in a second.' });
  });

  test('an unexpected error is INTERNAL, logged in main, and leaks neither its message nor its stack', async () => {
    const secret = 'SECRET-/home/ada/.local/share/hearth/vault/vault.sqlite';
    const throwers: Array<() => never> = [
      () => {
        throw new Error(secret);
      },
      () => {
        throw new TypeError(`Cannot read properties of undefined (reading '${secret}')`);
      },
      () => {
        throw secret as unknown as Error;
      },
      () => {
        throw new HearthError('INTERNAL', secret);
      },
    ];
    for (const thrower of throwers) {
      logged.length = 0;
      const broken = createDoor<string>({
        handlers: { ...createApiHandlers(session, 4), listWorkspaces: thrower },
        isAllowedSender: () => true,
        logUnexpected: (method, error) => logged.push({ method, error }),
      });
      const result = await broken(trusted, 'listWorkspaces', []);
      const serialised = JSON.stringify(result);
      expect(failed(result).code).toBe('INTERNAL');
      expect(failed(result).message).toMatch(/Try again/);
      expect(serialised).not.toContain('SECRET');
      expect(serialised).not.toMatch(/\bat .*:\d+:\d+/);
      expect(serialised).not.toContain('.ts');
      expect(logged).toHaveLength(1);
    }
  });

  test('a locked vault answers VAULT_LOCKED to every content call', async () => {
    expect((await door(trusted, 'lock', [])).ok).toBe(true);
    for (const [method, args] of [
      ['listWorkspaces', []],
      ['createWorkspace', ['Notes']],
      ['search', ['flour']],
      ['auditLog', []],
      ['beginUpload', ['ws1', { name: 'a', type: '', size: 1 }]],
      ['readFile', ['file1', 0]],
    ] as const) {
      expect(failed(await door(trusted, method, args))).toEqual({
        code: 'VAULT_LOCKED',
        message: 'The vault is locked. Unlock it with your passphrase first.',
      });
    }
    expect(await door(trusted, 'status', [])).toEqual({ ok: true, value: { state: 'locked', profile: null } });
  });

  test('nothing a page sends makes the door throw', async () => {
    const junk: unknown[] = [undefined, null, 0, '', [], {}, [[[]]], 'x'.repeat(100_000), new Uint8Array(3), Symbol('s'), () => 1, { then: () => 1 }];
    for (const method of [...junk, 'unlock', 'applyChanges', 'uploadChunk']) {
      for (const args of junk) {
        const result = await door(trusted, method, args);
        expect(result.ok).toBe(false);
      }
    }
  });
});
