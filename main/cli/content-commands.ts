/** `hearth` commands for what a vault holds: workspaces, documents, comments, files. Changes go through the use cases the app uses too. */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { bodyAsMarkdown } from '../../common/richtext/index.ts';
import { HearthError } from '../../common/errors.ts';
import * as comments from '../usecases/comments.ts';
import * as deviceSync from '../usecases/device-sync.ts';
import * as documents from '../usecases/documents.ts';
import * as files from '../usecases/files.ts';
import * as workspaces from '../usecases/workspaces.ts';
import {
  bodyInput,
  optionalString,
  print,
  requiredString,
  table,
  UsageError,
  when,
  withUseCases,
  withVault,
  workspaceArg,
  type Command,
} from './invocation.ts';

/** What `doc delete` and `file delete` say when the workspace's relay is out of reach. */
const OFFLINE_DELETION = 'Deleted on this device. Its relay cannot be reached now; `hearth sync` tells it and the other members once it can.\n';

export const contentCommands: Record<string, Command> = {
  'workspace create': {
    usage: 'hearth workspace create NAME [--relay URL]   (with --relay: a team workspace on that relay)',
    options: { relay: { type: 'string' } },
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, async (u) => {
        const workspace = await workspaces.createWorkspace(u, call.positionals[0]!, optionalString(call, 'relay'));
        print(call, workspace, () => `${workspace.id}\n`);
      }),
  },
  'workspace list': {
    usage: 'hearth workspace list',
    positionals: [0, 0],
    run: (call) =>
      withVault(call, (vault) => {
        const list = vault.workspaces.list();
        const kind = (w: (typeof list)[number]) => (w.kind === 'personal' && w.relay ? `personal, syncs between your devices (${w.relay})` : w.kind);
        print(call, list, () => table([['ID', 'NAME', 'KIND'], ...list.map((w) => [w.id, w.name, kind(w)])]));
      }),
  },
  'workspace delete': {
    usage: 'hearth workspace delete W   (a team workspace: its Owner deletes it for everyone; anyone else leaves it instead)',
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, async (u) => {
        const id = workspaceArg(u, call.positionals[0]!);
        const name = u.vault.workspaces.get(id).name;
        const deleted = await workspaces.deleteWorkspace(u, id);
        print(call, { deleted: id, for: deleted }, () =>
          deleted === 'everyone' ? `Deleted ${name} for everyone: its relay holds nothing of it any more, and nothing new reaches the other members.\n` : '',
        );
      }),
  },
  'workspace sync-devices': {
    usage:
      'hearth workspace sync-devices W on|off [--relay URL] [--yes] [--delete-from-relay]   (a personal workspace syncs end-to-end encrypted between your own devices only; on without --yes lists what would leave)',
    options: { relay: { type: 'string' }, yes: { type: 'boolean' }, 'delete-from-relay': { type: 'boolean' } },
    positionals: [2, 2],
    run: (call) =>
      withUseCases(call, async (u) => {
        const [workspace, onOff] = call.positionals as [string, string];
        if (onOff !== 'on' && onOff !== 'off') throw new UsageError(`workspace sync-devices takes on or off, not "${onOff}".`);
        const id = workspaceArg(u, workspace);
        if (onOff === 'off') {
          const stopped = await deviceSync.turnDeviceSyncOff(u, id, call.values['delete-from-relay'] === true);
          print(call, stopped, () => `${stopped.message}\n`);
          return;
        }
        const plan = deviceSync.describeDeviceSync(u, id, deviceSync.deviceSyncRelay(u, optionalString(call, 'relay')));
        if (!call.values.yes) throw new HearthError('BAD_REQUEST', `Nothing was sent. ${plan.message} Run again with --yes to turn it on.`);
        const on = await deviceSync.turnDeviceSyncOn(u, id, plan.relay, true);
        print(
          call,
          on,
          () =>
            `${on.name} now syncs end-to-end encrypted between your devices through ${plan.relay}. On another device: \`hearth invite list\`, then \`hearth invite accept ${id}\`.\n`,
        );
      }),
  },
  'workspace leave': {
    usage: 'hearth workspace leave W   (you leave its members at the relay; the copy here is deleted)',
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, async (u) => {
        const id = workspaceArg(u, call.positionals[0]!);
        const name = u.vault.workspaces.get(id).name;
        await workspaces.leaveWorkspace(u, id);
        print(call, { left: id }, () => `You left ${name}; its copy on this device is deleted.\n`);
      }),
  },
  'doc create': {
    usage: 'hearth doc create --workspace W --title T [--file F] [--tag TAG]...',
    options: { workspace: { type: 'string' }, title: { type: 'string' }, file: { type: 'string' }, tag: { type: 'string', multiple: true } },
    positionals: [0, 0],
    async run(call) {
      const workspace = optionalString(call, 'workspace');
      const title = optionalString(call, 'title');
      if (!workspace || !title) throw new UsageError('doc create needs --workspace W and --title T.');
      const markdown = await bodyInput(call, false);
      await withUseCases(call, (u) => {
        const doc = documents.createDocument(u, workspaceArg(u, workspace), {
          title,
          tags: (call.values.tag as string[] | undefined) ?? [],
          ...(markdown ? { markdown } : {}),
        });
        print(call, doc, () => `${doc.id}\n`);
      });
    },
  },
  'doc list': {
    usage: 'hearth doc list --workspace W',
    options: { workspace: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const workspace = requiredString(call, 'workspace', 'doc list', 'W');
      await withVault(call, (vault) => {
        const list = vault.documents.list(workspace);
        print(call, list, () => table([['ID', 'TITLE', 'UPDATED', 'TAGS'], ...list.map((d) => [d.id, d.title, when(d.updatedAt), d.tags.join(', ')])]));
      });
    },
  },
  'doc show': {
    usage: 'hearth doc show ID',
    positionals: [1, 1],
    run: (call) =>
      withVault(call, (vault) => {
        const id = call.positionals[0]!;
        const markdown = bodyAsMarkdown(vault.documents.get(id));
        print(call, { ...vault.documents.summary(id), markdown }, () => markdown);
      }),
  },
  'doc edit': {
    usage: 'hearth doc edit ID (--file F | --append TEXT) [--title T] [--tag TAG]...',
    options: { file: { type: 'string' }, append: { type: 'string' }, title: { type: 'string' }, tag: { type: 'string', multiple: true } },
    positionals: [1, 1],
    async run(call) {
      const title = optionalString(call, 'title');
      const tags = call.values.tag as string[] | undefined;
      const append = optionalString(call, 'append');
      if (append !== undefined && call.values.file !== undefined)
        throw new UsageError('Give either --file (the whole new text) or --append (a paragraph to add), not both.');
      const markdown = append === undefined ? await bodyInput(call, title === undefined && tags === undefined) : undefined;
      await withUseCases(call, (u) => {
        const id = call.positionals[0]!;
        documents.changeDocument(u, id, {
          ...(markdown === undefined ? {} : { markdown }),
          ...(append === undefined ? {} : { append }),
          ...(title === undefined ? {} : { title }),
          ...(tags === undefined ? {} : { tags }),
        });
        print(call, u.vault.documents.summary(id), () => '');
      });
    },
  },
  'doc delete': {
    usage: 'hearth doc delete ID   (in a team workspace or a shared document: deleted at the relay and at every member too)',
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, async (u) => {
        const { waitsForRelay } = await documents.deleteDocument(u, call.positionals[0]!);
        print(call, { deleted: call.positionals[0]!, waitsForRelay }, () => (waitsForRelay ? OFFLINE_DELETION : ''));
      }),
  },
  'comment add': {
    usage: 'hearth comment add DOC --text T [--reply-to COMMENT]',
    options: { text: { type: 'string' }, 'reply-to': { type: 'string' } },
    positionals: [1, 1],
    async run(call) {
      const text = requiredString(call, 'text', 'comment add', 'T');
      const replyTo = optionalString(call, 'reply-to');
      await withUseCases(call, (u) => {
        const comment = comments.addComment(u, call.positionals[0]!, { text, ...(replyTo ? { replyTo } : {}) });
        print(call, comment, () => `${comment.id}\n`);
      });
    },
  },
  'comment list': {
    usage: 'hearth comment list DOC',
    positionals: [1, 1],
    run: (call) =>
      withVault(call, (vault) => {
        const threads = vault.comments.list(call.positionals[0]!);
        print(
          call,
          threads,
          () =>
            threads
              .map((t) =>
                [
                  `${t.id}${t.resolved ? ' (resolved)' : ''}${t.anchor ? ` on "${t.anchor.quote}"` : ''}`,
                  // Each comment's id, which `hearth comment delete` takes (a reply's too).
                  ...t.comments.map((c) => `  ${c.id} ${c.author} · ${when(c.createdAt)}: ${c.text}`),
                ].join('\n'),
              )
              .join('\n') + (threads.length ? '\n' : ''),
        );
      }),
  },
  'comment resolve': {
    usage: 'hearth comment resolve THREAD [--reopen]   (Owners, Admins and Editors resolve any thread; Commenters their own)',
    options: { reopen: { type: 'boolean' } },
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, (u) => {
        const threadId = call.positionals[0]!;
        const resolved = !call.values.reopen;
        const documentId = comments.resolveThread(u, threadId, resolved);
        print(call, { threadId, documentId, resolved }, () => '');
      }),
  },
  'comment delete': {
    usage: "hearth comment delete COMMENT   (your own comments; Owners and Admins anyone's. A thread's first comment deletes the thread)",
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, (u) => {
        const commentId = call.positionals[0]!;
        const documentId = comments.deleteComment(u, commentId);
        print(call, { deleted: commentId, documentId }, () => '');
      }),
  },
  'file add': {
    usage: 'hearth file add --workspace W PATH',
    options: { workspace: { type: 'string' }, type: { type: 'string' } },
    positionals: [1, 1],
    async run(call) {
      const workspace = requiredString(call, 'workspace', 'file add', 'W');
      const path = call.positionals[0]!;
      let total: number;
      try {
        total = statSync(path).size;
      } catch {
        throw new UsageError(`Cannot read ${path}.`);
      }
      const showProgress = !call.json && process.stderr.isTTY && total > 8 * 1024 * 1024;
      const type = optionalString(call, 'type');
      await withUseCases(call, async (u) => {
        const workspaceId = workspaceArg(u, workspace);
        // Checked before a byte is read, so a refusal does not wait for a large file.
        files.checkCanAttach(u, workspaceId);
        const info = await files.addFile(u, workspaceId, {
          name: basename(path),
          ...(type ? { type } : {}),
          source: createReadStream(path, { highWaterMark: 1024 * 1024 }),
          onProgress: (bytes) => showProgress && process.stderr.write(`\rEncrypting ${basename(path)}: ${Math.floor((100 * bytes) / total)}%`),
        });
        if (showProgress) process.stderr.write('\n');
        print(call, info, () => `${info.id}\n`);
      });
    },
  },
  'file list': {
    usage: 'hearth file list --workspace W',
    options: { workspace: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const workspace = requiredString(call, 'workspace', 'file list', 'W');
      await withVault(call, (vault) => {
        const list = vault.files.list(workspace);
        print(call, list, () => table([['ID', 'NAME', 'TYPE', 'BYTES'], ...list.map((f) => [f.id, f.name, f.type, String(f.size)])]));
      });
    },
  },
  'file get': {
    usage: 'hearth file get ID --out PATH',
    options: { out: { type: 'string' } },
    positionals: [1, 1],
    async run(call) {
      const out = optionalString(call, 'out');
      if (!out) throw new UsageError('file get needs --out PATH (or --out - for stdout).');
      await withVault(call, async (vault) => {
        const id = call.positionals[0]!;
        vault.files.info(id);
        const sink: Writable = out === '-' ? process.stdout : createWriteStream(out, { mode: 0o600 });
        await pipeline(vault.files.read(id), sink);
      });
    },
  },
  'file delete': {
    usage: 'hearth file delete ID   (in a team workspace: deleted at the relay and at every member too)',
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, async (u) => {
        const { waitsForRelay } = await files.deleteFile(u, call.positionals[0]!);
        print(call, { deleted: call.positionals[0]!, waitsForRelay }, () => (waitsForRelay ? OFFLINE_DELETION : ''));
      }),
  },
};
