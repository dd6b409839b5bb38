/**
 * The role table of DESIGN.md, end to end through the app's API (the door the pages use): one
 * team workspace on a real relay, one user per role, each trying every kind of operation. What
 * the table allows succeeds; what it forbids fails with FORBIDDEN naming the role, and changes
 * nothing the Owner can see.
 */
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { HearthApi } from '../../common/api/contract.ts';
import type { Role } from '../../common/roles.ts';
import type { DocumentContent } from '../../main/vault/documents.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { eventually } from './sync-fixture.ts';
import { expectOk, inProcess, type TransportUnderTest } from './transport-fixture.ts';

type Operation = 'read' | 'write' | 'delete content' | 'comment' | 'manage members & links' | 'delete workspace';

/** DESIGN.md's roles table, row by row. */
const TABLE: Record<Role, Record<Operation, boolean>> = {
  owner: { read: true, write: true, 'delete content': true, comment: true, 'manage members & links': true, 'delete workspace': true },
  admin: { read: true, write: true, 'delete content': true, comment: true, 'manage members & links': true, 'delete workspace': false },
  editor: { read: true, write: true, 'delete content': false, comment: true, 'manage members & links': false, 'delete workspace': false },
  commenter: { read: true, write: false, 'delete content': false, comment: true, 'manage members & links': false, 'delete workspace': false },
  viewer: { read: true, write: false, 'delete content': false, comment: false, 'manage members & links': false, 'delete workspace': false },
};
const ROLES: Role[] = ['admin', 'editor', 'commenter', 'viewer'];

interface User {
  api: HearthApi;
  username: string;
}

let relay: TestRelay;
const apps: TransportUnderTest[] = [];
let counter = 0;
let owner: User;
const users = new Map<Role, User>();
let workspaceId = '';
let documentId = '';

async function user(name: string): Promise<User> {
  const app = await inProcess.start({ sync: { backoff: { initialMs: 50, maxMs: 500 } }, membershipPollMs: 200 });
  apps.push(app);
  const api = await app.connect();
  const username = `${name}-${process.pid}-${++counter}`;
  expectOk(await api.createVault({ passphrase: 'a long enough passphrase', username, displayName: name }));
  expectOk(await api.registerAccount(relay.url));
  return { api, username };
}

/** `ok`, or the error code; FORBIDDEN must also name the role. */
async function attempt(role: Role, call: Promise<{ ok: true } | { ok: false; error: { code: string; message: string } }>): Promise<string> {
  const result = await call;
  if (result.ok) return 'ok';
  if (result.error.code === 'FORBIDDEN') expect(result.error.message.toLowerCase(), result.error.message).toContain(role);
  return result.error.code;
}

beforeAll(async () => {
  relay = await startTestRelay();
  owner = await user('owner');
  workspaceId = expectOk(await owner.api.createTeamWorkspace('Matrix', relay.url)).id;
  documentId = expectOk(await owner.api.createDocument(workspaceId, { title: 'Shared page' })).id;
  for (const role of ROLES) {
    const member = await user(role);
    expectOk(await owner.api.inviteMember(workspaceId, member.username, role));
    expectOk(await member.api.acceptInvitation(workspaceId));
    users.set(role, member);
  }
  // A document per role for the deletion attempt, so one role's deletion cannot hide another's refusal.
  for (const role of ROLES) expectOk(await owner.api.createDocument(workspaceId, { title: `Delete me (${role})` }));
  for (const role of ROLES) {
    await eventually(async () => expectOk(await users.get(role)!.api.listDocuments(workspaceId)).length === ROLES.length + 1, `${role} has every document`);
  }
}, 120_000);

afterAll(async () => {
  for (const app of apps) await app.close();
  await relay.stop();
});

describe('the role table through the API', () => {
  for (const role of ROLES) {
    test(`${role}: ${Object.entries(TABLE[role])
      .filter(([, allowed]) => allowed)
      .map(([op]) => op)
      .join(', ')}`, async () => {
      const { api } = users.get(role)!;
      const outcome: Record<Operation, boolean> = {} as Record<Operation, boolean>;

      const opened = await api.openDocument(documentId);
      outcome.read = opened.ok && A.load<DocumentContent>(opened.value.bytes).title === 'Shared page';

      let replica = A.load<DocumentContent>(expectOk(await api.openDocument(documentId)).bytes);
      replica = A.change(replica, (d) => A.splice(d, ['body'], 0, 0, `${role} was here. `));
      const typed = await attempt(role, api.applyChanges(documentId, [A.getLastLocalChange(replica)!]));
      const created = await attempt(role, api.createDocument(workspaceId, { title: `${role}'s page` }));
      expect(typed === 'ok', `typing and creating agree for ${role}`).toBe(created === 'ok');
      outcome.write = typed === 'ok';

      const target = expectOk(await api.listDocuments(workspaceId)).find((d) => d.title === `Delete me (${role})`)!;
      outcome['delete content'] = (await attempt(role, api.deleteDocument(target.id))) === 'ok';

      outcome.comment = (await attempt(role, api.addComment(documentId, { text: `${role} says hi` }))) === 'ok';

      const invited = await attempt(role, api.inviteMember(workspaceId, `nobody-${role}`, 'viewer'));
      const link = await attempt(role, api.createLink(documentId, {}));
      // An allowed invite of an unknown username fails for that reason, not for the role.
      expect(invited === 'FORBIDDEN', `inviting and publishing agree for ${role}`).toBe(link === 'FORBIDDEN');
      outcome['manage members & links'] = link === 'ok';

      const deleted = await attempt(role, api.deleteTeamWorkspace(workspaceId));
      const transferred = await attempt(role, api.transferOwnership(workspaceId, owner.username));
      expect(deleted, `${role} may not delete the workspace`).toBe('FORBIDDEN');
      expect(transferred === 'ok').toBe(false);
      outcome['delete workspace'] = false;

      expect(outcome).toEqual(TABLE[role]);
    });
  }

  test('what the roles were allowed reached the Owner; nothing they were refused did', async () => {
    const allowedWriters = ROLES.filter((r) => TABLE[r].write);
    const allowedCommenters = ROLES.filter((r) => TABLE[r].comment);
    const allowedDeleters = ROLES.filter((r) => TABLE[r]['delete content']);
    await eventually(async () => {
      const body = A.load<DocumentContent>(expectOk(await owner.api.openDocument(documentId)).bytes).body;
      return allowedWriters.every((r) => body.includes(`${r} was here.`));
    }, 'the allowed edits reach the Owner');
    await eventually(async () => {
      const texts = expectOk(await owner.api.listComments(documentId)).flatMap((t) => t.comments.map((c) => c.text));
      return allowedCommenters.every((r) => texts.includes(`${r} says hi`));
    }, 'the allowed comments reach the Owner');
    await eventually(async () => {
      const titles = expectOk(await owner.api.listDocuments(workspaceId)).map((d) => d.title);
      return allowedDeleters.every((r) => !titles.includes(`Delete me (${r})`));
    }, 'the allowed deletions reach the Owner');

    const body = A.load<DocumentContent>(expectOk(await owner.api.openDocument(documentId)).bytes).body;
    const texts = expectOk(await owner.api.listComments(documentId)).flatMap((t) => t.comments.map((c) => c.text));
    const titles = expectOk(await owner.api.listDocuments(workspaceId)).map((d) => d.title);
    for (const role of ROLES) {
      if (!TABLE[role].write) expect(body).not.toContain(`${role} was here.`);
      if (!TABLE[role].write) expect(titles).not.toContain(`${role}'s page`);
      if (!TABLE[role].comment) expect(texts).not.toContain(`${role} says hi`);
      if (!TABLE[role]['delete content']) expect(titles).toContain(`Delete me (${role})`);
    }
    expect(
      expectOk(await owner.api.listMembers(workspaceId))
        .map((m) => m.role)
        .sort(),
    ).toEqual(['admin', 'commenter', 'editor', 'owner', 'viewer']);

    // The Owner row: manage, then delete the workspace.
    expectOk(await owner.api.createLink(documentId, {}));
    expectOk(await owner.api.deleteTeamWorkspace(workspaceId));
    expect(expectOk(await owner.api.listWorkspaces()).some((w) => w.id === workspaceId)).toBe(false);
  });
});
