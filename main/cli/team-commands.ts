/** `hearth` commands for team workspaces: members and roles, sharing one document, invitations, sync. */
import type { SyncStatus } from '../../common/api/contract.ts';
import { HearthError } from '../../common/errors.ts';
import type { Member } from '../sync/engine.ts';
import * as members from '../usecases/members.ts';
import * as syncing from '../usecases/sync.ts';
import { LEASE_RENEW_MS } from '../vault/sync-lease.ts';
import type { Vault } from '../vault/vault.ts';
import { optionalString, print, requiredString, roleArg, table, withUseCases, workspaceArg, type Command } from './invocation.ts';

function memberTable(list: Member[]): string {
  return table([['USERNAME', 'NAME', 'ROLE'], ...list.map((m) => [`${m.username ?? m.account}${m.isMe ? ' (you)' : ''}`, m.displayName ?? '', m.role])]);
}

function statusLine(status: SyncStatus): string {
  return `${status.name}: ${status.state}${status.reason ? ` (${status.reason.message})` : ''}${status.pending ? `, ${status.pending} change(s) waiting to be sent` : ''}\n`;
}

/** How long `hearth sync` waits for another `hearth sync` on the same vault to finish. */
const SYNC_LEASE_WAIT_MS = 30_000;

/**
 * Takes the vault's sync lease for a round (one process syncs a vault at a time; see
 * SyncLease), renewing it while the round runs; returns what gives it back.
 */
async function holdSyncLease(vault: Vault): Promise<() => void> {
  const lease = vault.syncLease('`hearth sync`');
  const giveUpAt = Date.now() + SYNC_LEASE_WAIT_MS;
  for (;;) {
    const holder = lease.take();
    if (!holder) break;
    if (holder.label !== '`hearth sync`') {
      throw new HearthError(
        'VAULT_BUSY',
        `The Hearth app (process ${holder.pid}) is syncing this vault live: it sends and receives these changes itself. Run \`hearth sync\` when the app is closed or locked.`,
      );
    }
    if (Date.now() > giveUpAt)
      throw new HearthError('VAULT_BUSY', `Another \`hearth sync\` (process ${holder.pid}) is syncing this vault; try again when it is done.`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const renew = setInterval(() => {
    try {
      lease.take();
    } catch {
      // A busy moment: the lease lasts past the next try.
    }
  }, LEASE_RENEW_MS);
  return () => {
    clearInterval(renew);
    lease.release();
  };
}

export const teamCommands: Record<string, Command> = {
  'member add': {
    usage: 'hearth member add W USERNAME --role owner|admin|editor|commenter|viewer',
    options: { role: { type: 'string' } },
    positionals: [2, 2],
    async run(call) {
      const role = roleArg(optionalString(call, 'role'), 'member add');
      await withUseCases(call, async (u) => {
        const member = await members.inviteMember(u, workspaceArg(u, call.positionals[0]!), call.positionals[1]!, role);
        print(call, member, () => `Invited ${member.username} as ${role}\n`);
      });
    },
  },
  'member list': {
    usage: 'hearth member list W',
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, async (u) => {
        const list = await members.listMembers(u, workspaceArg(u, call.positionals[0]!));
        print(call, list, () => memberTable(list));
      }),
  },
  'member role': {
    usage: 'hearth member role W USERNAME admin|editor|commenter|viewer   (to make someone the Owner: `hearth member transfer`)',
    positionals: [3, 3],
    async run(call) {
      const [workspace, username] = call.positionals as [string, string];
      const role = roleArg(call.positionals[2], 'member role');
      await withUseCases(call, async (u) => {
        const id = workspaceArg(u, workspace);
        await members.setMemberRole(u, id, username, role);
        print(call, { workspaceId: id, username, role }, () => '');
      });
    },
  },
  'member remove': {
    usage: 'hearth member remove W USERNAME   (rotates the workspace key in the same step)',
    positionals: [2, 2],
    run: (call) =>
      withUseCases(call, async (u) => {
        const [workspace, username] = call.positionals as [string, string];
        const id = workspaceArg(u, workspace);
        await members.removeMember(u, id, username);
        print(call, { workspaceId: id, removed: username }, () => '');
      }),
  },
  'member transfer': {
    usage: 'hearth member transfer W USERNAME   (makes them the Owner; you stay on as Admin)',
    positionals: [2, 2],
    run: (call) =>
      withUseCases(call, async (u) => {
        const [workspace, username] = call.positionals as [string, string];
        const id = workspaceArg(u, workspace);
        await members.transferOwnership(u, id, username);
        const list = await members.listMembers(u, id);
        print(call, list, () => `${username} is now the Owner of ${u.vault.workspaces.get(id).name}; you are an Admin there.\n`);
      }),
  },
  share: {
    usage:
      'hearth share DOC --user USERNAME --role admin|editor|commenter|viewer [--relay URL] [--yes] [--keep-history]   (--yes: upload a personal document; without --keep-history its edit history is erased first)',
    options: { user: { type: 'string' }, role: { type: 'string' }, relay: { type: 'string' }, yes: { type: 'boolean' }, 'keep-history': { type: 'boolean' } },
    positionals: [1, 1],
    async run(call) {
      const user = requiredString(call, 'user', 'share', 'USERNAME');
      const role = roleArg(optionalString(call, 'role'), 'share');
      const relay = optionalString(call, 'relay');
      await withUseCases(call, async ({ engine }) => {
        const documentId = call.positionals[0]!;
        const keepHistory = call.values['keep-history'] === true;
        const plan = engine.describeShare(documentId, relay, keepHistory);
        if (plan.leavesDevice && !call.values.yes) {
          throw new HearthError('BAD_REQUEST', `Nothing was sent. ${plan.message} Run again with --yes to share it.`);
        }
        if (plan.leavesDevice && !call.json) call.io.err(`${plan.message}\n`);
        const member = await engine.shareDocument(documentId, user, role, {
          confirmed: call.values.yes === true,
          ...(relay ? { relay } : {}),
          ...(keepHistory ? { keepHistory } : {}),
        });
        print(
          call,
          { documentId, relay: plan.relay, uploaded: plan.leavesDevice, member },
          () => `Shared "${plan.title}" with ${member.username} as ${role}\n`,
        );
      });
    },
  },
  'share revoke': {
    usage: "hearth share revoke DOC --user USERNAME   (rotates the document's key in the same step)",
    options: { user: { type: 'string' } },
    positionals: [1, 1],
    async run(call) {
      const user = requiredString(call, 'user', 'share revoke', 'USERNAME');
      await withUseCases(call, async ({ engine }) => {
        await engine.unshareDocument(call.positionals[0]!, user);
        print(call, { documentId: call.positionals[0]!, revoked: user }, () => `${user} can no longer read what is written in this document from now on\n`);
      });
    },
  },
  'share list': {
    usage: 'hearth share list DOC',
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, async ({ engine }) => {
        const list = await engine.documentShares(call.positionals[0]!);
        print(call, list, () => memberTable(list));
      }),
  },
  'invite list': {
    usage: 'hearth invite list',
    positionals: [0, 0],
    run: (call) =>
      withUseCases(call, async ({ engine }) => {
        const invitations = await engine.invitations();
        print(call, invitations, () =>
          table([['ID', 'KIND', 'NAME', 'ROLE', 'FROM'], ...invitations.map((i) => [i.id, i.kind, i.name, i.role, i.invitedBy ?? ''])]),
        );
      }),
  },
  'invite accept': {
    usage: 'hearth invite accept ID',
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, async ({ engine }) => {
        const invitation = (await engine.invitations()).find((i) => i.id === call.positionals[0]!);
        const workspace = await engine.acceptInvitation(call.positionals[0]!);
        print(call, workspace, () =>
          invitation?.kind === 'document'
            ? `Accepted "${invitation.documentTitle ?? invitation.name}"; it is in ${workspace.name} (${workspace.id})\n`
            : `Joined ${workspace.name} (${workspace.id})\n`,
        );
      }),
  },
  sync: {
    usage: 'hearth sync [--workspace W]   (one round: push and pull until nothing is left)',
    options: { workspace: { type: 'string' } },
    positionals: [0, 0],
    run: (call) =>
      withUseCases(call, async (u) => {
        const { engine, vault } = u;
        const workspace = optionalString(call, 'workspace');
        const release = await holdSyncLease(vault);
        let report: Awaited<ReturnType<typeof syncing.syncRound>>;
        try {
          report = await syncing.syncRound(u, workspace);
        } finally {
          release();
        }
        const statuses = engine.status(workspace);
        const trimmed = report.forgotten.length;
        print(
          call,
          { ...report, statuses },
          () =>
            `Synced ${report.workspaces} workspace(s): ${report.pushed} change(s) sent, ${report.applied} received, ${report.refused} refused.\n` +
            (trimmed > 0 ? `Edit history older than its workspace keeps erased in ${trimmed} document${trimmed === 1 ? '' : 's'}.\n` : '') +
            statuses
              .filter((s) => s.state !== 'synced' || s.quarantined > 0)
              .map(
                (s) =>
                  `${s.name}: ${s.state}${s.reason ? ` (${s.reason.message})` : ''}${s.quarantined ? `, ${s.quarantined} change(s) kept aside${s.waiting ? ` (${s.waiting} wait for a change the relay altered or withheld)` : ''}` : ''}\n`,
              )
              .join(''),
        );
        for (const status of statuses)
          if (status.state === 'error' || status.state === 'offline')
            throw new HearthError(status.reason?.code ?? 'UNAVAILABLE', `${status.name}: ${status.reason?.message ?? status.state}`);
        // A document that is not whole here is not synced: say so with a failing exit, and what happens next.
        const waiting = statuses.filter((s) => s.waiting);
        if (waiting.length > 0) {
          throw new HearthError(
            'RECORD_TAMPERED',
            `${waiting.map((s) => `${s.name}: ${s.waiting} change(s)`).join('; ')} wait for a change the relay altered or withheld. They apply once the relay serves a good copy, or a member who has that change syncs (this device asked for it); run \`hearth sync\` again later.`,
          );
        }
      }),
  },
  'sync pause': {
    usage: 'hearth sync pause W   (nothing is sent or received for W until `hearth sync resume W`; edits wait here)',
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, (u) => {
        const status = syncing.pauseSync(u, workspaceArg(u, call.positionals[0]!));
        print(call, status, () => statusLine(status));
      }),
  },
  'sync resume': {
    usage: 'hearth sync resume W   (the next `hearth sync`, or the app, exchanges changes again)',
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, (u) => {
        const status = syncing.resumeSync(u, workspaceArg(u, call.positionals[0]!));
        print(call, status, () => statusLine(status));
      }),
  },
};
