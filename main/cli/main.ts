/**
 * `hearth`, the scriptable face of Hearth, over the same vault code the app uses.
 * Contract: `--json` prints one JSON document on stdout; exit 0 on success, 1 with a one-line
 * message on stderr for a user error, 2 for bad usage.
 */
import * as A from '@automerge/automerge';
import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HearthError, isHearthError } from '../../common/errors.ts';
import { bodyAsMarkdown, setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { defaultVaultDir } from '../paths.ts';
import { createBackup, restoreBackup } from '../portability/backup.ts';
import { exportVault } from '../portability/export.ts';
import { importPath } from '../portability/import.ts';
import { vaultErrorOf } from '../vault/database.ts';
import { LEASE_RENEW_MS } from '../vault/sync-lease.ts';
import { Vault } from '../vault/vault.ts';
import { SyncEngine } from '../sync/engine.ts';
import { openPublicLink } from '../sync/links.ts';
import { Roles, type Role } from '../../common/roles.ts';
import { askSecret } from './prompt.ts';

class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
}

interface Invocation {
  values: Values;
  positionals: string[];
  io: Io;
  vaultDir: string;
  json: boolean;
}

interface Command {
  usage: string;
  options?: Options;
  positionals: [min: number, max: number];
  run: (call: Invocation) => Promise<void>;
}

const GLOBAL_OPTIONS: Options = {
  vault: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

async function passphrase(io: Io, prompt = 'Passphrase: '): Promise<string> {
  return io.env.HEARTH_PASSPHRASE ?? askSecret(prompt);
}

async function newPassphrase(io: Io, envName: string): Promise<string> {
  const fromEnv = io.env[envName];
  if (fromEnv !== undefined) return fromEnv;
  const first = await askSecret('New passphrase: ');
  const second = await askSecret('Repeat it: ');
  if (first !== second) throw new UsageError('The two passphrases differ.');
  return first;
}

async function withVault<T>(call: Invocation, fn: (vault: Vault) => Promise<T> | T): Promise<T> {
  const vault = await Vault.unlock(call.vaultDir, await passphrase(call.io));
  try {
    return await fn(vault);
  } finally {
    if (!vault.isLocked) vault.lock();
  }
}

/** The vault with a sync engine over it, for team commands; every connection is closed before exit. */
async function withEngine<T>(call: Invocation, fn: (engine: SyncEngine, vault: Vault) => Promise<T> | T): Promise<T> {
  return withVault(call, async (vault) => {
    const engine = new SyncEngine(vault);
    try {
      return await fn(engine, vault);
    } finally {
      await engine.close();
    }
  });
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
      throw new HearthError('VAULT_BUSY', `The Hearth app (process ${holder.pid}) is syncing this vault live: it sends and receives these changes itself. Run \`hearth sync\` when the app is closed or locked.`);
    }
    if (Date.now() > giveUpAt) throw new HearthError('VAULT_BUSY', `Another \`hearth sync\` (process ${holder.pid}) is syncing this vault; try again when it is done.`);
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

function roleArg(value: string | undefined, command: string): Role {
  if (!value) throw new UsageError(`${command} needs a role: ${Roles.join('|')}.`);
  if (!(Roles as readonly string[]).includes(value)) throw new UsageError(`${value} is not a role; use one of ${Roles.join(', ')}.`);
  return value as Role;
}

/** A duration such as 30m, 12h or 7d, in milliseconds. */
function durationArg(text: string): number {
  const match = /^(\d{1,6})(s|m|h|d)$/.exec(text.trim());
  if (!match || Number(match[1]) === 0) throw new UsageError(`${text} is not a duration; use a positive number with s, m, h or d, such as 30m, 12h or 7d.`);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

/** What `doc delete` and `file delete` say when the workspace's relay is out of reach. */
const OFFLINE_DELETION = 'Deleted on this device. Its relay cannot be reached now; `hearth sync` tells it and the other members once it can.\n';

function print(call: Invocation, value: unknown, human: () => string): void {
  call.io.out(call.json ? `${JSON.stringify(value, null, 2)}\n` : human());
}

function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(parts).toString('utf8');
}

/** The body for `doc create`/`doc edit`: the --file, or stdin when it is not a terminal. */
async function bodyInput(call: Invocation, required: boolean): Promise<string | undefined> {
  const file = call.values.file as string | undefined;
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

function tagsOf(values: Values): string[] {
  return (values.tag as string[] | undefined) ?? [];
}

const commands: Record<string, Command> = {
  init: {
    usage: 'hearth init --username U [--name N]',
    options: { username: { type: 'string' }, name: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const username = call.values.username as string | undefined;
      if (!username) throw new UsageError('init needs --username U.');
      const secret = call.io.env.HEARTH_PASSPHRASE ?? (await newPassphrase(call.io, 'HEARTH_PASSPHRASE'));
      const vault = await Vault.create(call.vaultDir, {
        passphrase: secret,
        profile: { username, displayName: (call.values.name as string | undefined) ?? username },
      });
      try {
        const profile = vault.profile;
        print(call, { vault: call.vaultDir, profile, workspaces: vault.workspaces.list() }, () => `Created a vault for ${profile.username} at ${call.vaultDir}\n`);
      } finally {
        vault.lock();
      }
    },
  },
  'workspace create': {
    usage: 'hearth workspace create NAME [--relay URL]   (with --relay: a team workspace on that relay)',
    options: { relay: { type: 'string' } },
    positionals: [1, 1],
    run: (call) => {
      const relay = call.values.relay as string | undefined;
      if (relay) {
        return withEngine(call, async (engine) => {
          const workspace = await engine.createTeamWorkspace(call.positionals[0]!, relay);
          print(call, workspace, () => `${workspace.id}\n`);
        });
      }
      return withVault(call, (vault) => {
        const workspace = vault.workspaces.create({ name: call.positionals[0]! });
        print(call, workspace, () => `${workspace.id}\n`);
      });
    },
  },
  'workspace list': {
    usage: 'hearth workspace list',
    positionals: [0, 0],
    run: (call) =>
      withVault(call, (vault) => {
        const list = vault.workspaces.list();
        print(call, list, () => table([['ID', 'NAME', 'KIND'], ...list.map((w) => [w.id, w.name, w.kind])]));
      }),
  },
  'workspace delete': {
    usage: 'hearth workspace delete W',
    positionals: [1, 1],
    run: (call) => withVault(call, (vault) => vault.deleteWorkspace(call.positionals[0]!)),
  },
  'doc create': {
    usage: 'hearth doc create --workspace W --title T [--file F] [--tag TAG]...',
    options: { workspace: { type: 'string' }, title: { type: 'string' }, file: { type: 'string' }, tag: { type: 'string', multiple: true } },
    positionals: [0, 0],
    async run(call) {
      const workspace = call.values.workspace as string | undefined;
      const title = call.values.title as string | undefined;
      if (!workspace || !title) throw new UsageError('doc create needs --workspace W and --title T.');
      const markdown = await bodyInput(call, false);
      await withVault(call, (vault) => {
        new SyncEngine(vault).assertCan(workspace, 'content');
        const doc = vault.documents.create(workspace, {
          title,
          tags: tagsOf(call.values),
          init: (d) => {
            if (markdown) setBodyFromMarkdown(d, markdown);
          },
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
      const workspace = call.values.workspace as string | undefined;
      if (!workspace) throw new UsageError('doc list needs --workspace W.');
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
      const title = call.values.title as string | undefined;
      const tags = call.values.tag as string[] | undefined;
      const append = call.values.append as string | undefined;
      if (append !== undefined && call.values.file !== undefined) throw new UsageError('Give either --file (the whole new text) or --append (a paragraph to add), not both.');
      const markdown = append === undefined ? await bodyInput(call, title === undefined && tags === undefined) : undefined;
      await withVault(call, (vault) => {
        const id = call.positionals[0]!;
        new SyncEngine(vault).assertCan(vault.documents.workspaceOf(id), 'content', id);
        vault.documents.change(id, (d) => {
          if (markdown !== undefined) setBodyFromMarkdown(d, markdown);
          // Computed from the document as it is under the write lock, so it adds to whatever anyone else wrote.
          if (append !== undefined) setBodyFromMarkdown(d, `${bodyAsMarkdown(d).trimEnd()}\n\n${append.trim()}\n`);
          if (title !== undefined) A.updateText(d, ['title'], title.trim());
          if (tags !== undefined) d.tags.splice(0, d.tags.length, ...new Set(tags.map((t) => t.trim().toLowerCase()).filter(Boolean)));
        });
        print(call, vault.documents.summary(id), () => '');
      });
    },
  },
  'doc delete': {
    usage: 'hearth doc delete ID   (in a team workspace or a shared document: deleted at the relay and at every member too)',
    positionals: [1, 1],
    run: (call) =>
      withEngine(call, async (engine) => {
        const { waitsForRelay } = await engine.deleteDocument(call.positionals[0]!);
        print(call, { deleted: call.positionals[0]!, waitsForRelay }, () => (waitsForRelay ? OFFLINE_DELETION : ''));
      }),
  },
  'comment add': {
    usage: 'hearth comment add DOC --text T [--reply-to COMMENT]',
    options: { text: { type: 'string' }, 'reply-to': { type: 'string' } },
    positionals: [1, 1],
    async run(call) {
      const text = call.values.text as string | undefined;
      if (!text) throw new UsageError('comment add needs --text T.');
      const replyTo = call.values['reply-to'] as string | undefined;
      await withVault(call, (vault) => {
        new SyncEngine(vault).assertCan(vault.documents.workspaceOf(call.positionals[0]!), 'comment', call.positionals[0]!);
        const comment = vault.comments.add(call.positionals[0]!, { text, ...(replyTo ? { replyTo } : {}) });
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
        print(call, threads, () =>
          threads
            .map((t) =>
              [
                `${t.id}${t.resolved ? ' (resolved)' : ''}${t.anchor ? ` on "${t.anchor.quote}"` : ''}`,
                ...t.comments.map((c) => `  ${c.author} · ${when(c.createdAt)}: ${c.text}`),
              ].join('\n'),
            )
            .join('\n') + (threads.length ? '\n' : ''),
        );
      }),
  },
  'comment resolve': {
    usage: 'hearth comment resolve THREAD [--reopen]',
    options: { reopen: { type: 'boolean' } },
    positionals: [1, 1],
    run: (call) => withVault(call, (vault) => vault.comments.resolve(call.positionals[0]!, !call.values.reopen)),
  },
  'file add': {
    usage: 'hearth file add --workspace W PATH',
    options: { workspace: { type: 'string' }, type: { type: 'string' } },
    positionals: [1, 1],
    async run(call) {
      const workspace = call.values.workspace as string | undefined;
      if (!workspace) throw new UsageError('file add needs --workspace W.');
      const path = call.positionals[0]!;
      let total: number;
      try {
        total = statSync(path).size;
      } catch {
        throw new UsageError(`Cannot read ${path}.`);
      }
      const showProgress = !call.json && process.stderr.isTTY && total > 8 * 1024 * 1024;
      await withVault(call, async (vault) => {
        new SyncEngine(vault).assertCan(workspace, 'content');
        const info = await vault.files.add(workspace, {
          name: basename(path),
          ...(call.values.type ? { type: call.values.type as string } : {}),
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
      const workspace = call.values.workspace as string | undefined;
      if (!workspace) throw new UsageError('file list needs --workspace W.');
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
      const out = call.values.out as string | undefined;
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
      withEngine(call, async (engine) => {
        const { waitsForRelay } = await engine.deleteFile(call.positionals[0]!);
        print(call, { deleted: call.positionals[0]!, waitsForRelay }, () => (waitsForRelay ? OFFLINE_DELETION : ''));
      }),
  },
  search: {
    usage: 'hearth search QUERY',
    positionals: [1, 1],
    run: (call) =>
      withVault(call, (vault) => {
        const hits = vault.search(call.positionals[0]!);
        print(call, hits, () => table(hits.map((h) => [h.documentId, h.kind, h.title, h.snippet])));
      }),
  },
  audit: {
    usage: 'hearth audit',
    positionals: [0, 0],
    run: (call) =>
      withVault(call, (vault) => {
        const entries = vault.audit.list();
        print(call, entries, () => table(entries.map((e) => [new Date(e.at).toISOString(), e.actor, e.action, e.target ?? ''])));
      }),
  },
  export: {
    usage: 'hearth export --out DIR|FILE.zip [--workspace W]',
    options: { out: { type: 'string' }, workspace: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const out = call.values.out as string | undefined;
      if (!out) throw new UsageError('export needs --out DIR.');
      const workspace = call.values.workspace as string | undefined;
      await withVault(call, async (vault) => {
        const manifest = await exportVault(vault, out, { ...(workspace ? { workspace } : {}), onProgress: progressLine(call, 'Exporting') });
        print(call, manifest, () => `Exported ${manifest.counts.documents} documents, ${manifest.counts.comments} comments and ${manifest.counts.files} files to ${out}\n`);
      });
    },
  },
  import: {
    usage: 'hearth import PATH   (a Hearth export folder or .zip, or a folder of Markdown files)',
    positionals: [1, 1],
    run: (call) =>
      withVault(call, async (vault) => {
        const summary = await importPath(vault, call.positionals[0]!, { onProgress: progressLine(call, 'Importing') });
        print(call, summary, () => `Imported ${summary.documentsCreated} new documents (${summary.documentsMerged} merged), ${summary.comments} comments and ${summary.files} files\n`);
      }),
  },
  backup: {
    usage: 'hearth backup --out FILE   (backup passphrase from HEARTH_BACKUP_PASSPHRASE or the terminal)',
    options: { out: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const out = call.values.out as string | undefined;
      if (!out) throw new UsageError('backup needs --out FILE.');
      await withVault(call, async (vault) => {
        const backupPassphrase = await newPassphrase(call.io, 'HEARTH_BACKUP_PASSPHRASE');
        const line = progressLine(call, 'Encrypting backup');
        await createBackup(vault, out, backupPassphrase, line && ((p) => line({ phase: 'files', ...p })));
        print(call, { file: out }, () => `Wrote an encrypted backup to ${out}. Keep the backup passphrase: without it the backup cannot be opened.\n`);
      });
    },
  },
  restore: {
    usage: 'hearth restore FILE   (into --vault DIR; backup passphrase from HEARTH_BACKUP_PASSPHRASE, new vault passphrase from HEARTH_PASSPHRASE)',
    positionals: [1, 1],
    async run(call) {
      const backupPassphrase = call.io.env.HEARTH_BACKUP_PASSPHRASE ?? (await askSecret('Backup passphrase: '));
      const vaultPassphrase = call.io.env.HEARTH_PASSPHRASE ?? (await newPassphrase(call.io, 'HEARTH_PASSPHRASE'));
      const vault = await restoreBackup(call.positionals[0]!, backupPassphrase, call.vaultDir, vaultPassphrase);
      try {
        print(call, { vault: call.vaultDir, profile: vault.profile }, () => `Restored the vault of ${vault.profile.username} into ${call.vaultDir}\n`);
      } finally {
        vault.lock();
      }
    },
  },
  wipe: {
    usage: 'hearth wipe --confirm USERNAME   (destroys this device\'s vault; it cannot be undone)',
    options: { confirm: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const confirm = call.values.confirm as string | undefined;
      if (confirm === undefined) throw new UsageError('wipe needs --confirm USERNAME, typed exactly as your username.');
      await withVault(call, (vault) => {
        if (confirm !== vault.profile.username) {
          throw new HearthError('BAD_REQUEST', `"${confirm}" is not this vault's username; nothing was wiped. Type it exactly as shown by \`hearth audit\`.`);
        }
        vault.wipe();
        if (!call.json) call.io.err(`Wiped the vault at ${call.vaultDir}: keys destroyed, files overwritten and removed.\n`);
      });
    },
  },
  'account register': {
    usage: 'hearth account register --relay URL   (publishes your username, display name and avatar there)',
    options: { relay: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const relay = call.values.relay as string | undefined;
      if (!relay) throw new UsageError('account register needs --relay URL.');
      await withEngine(call, async (engine) => {
        const account = await engine.register(relay);
        print(call, account, () => `Registered ${account.username} on ${relay}\n`);
      });
    },
  },
  'account delete': {
    usage:
      'hearth account delete --confirm USERNAME [--force-local]   (deletes your account on every relay you registered on, then wipes this device; it cannot be undone.' +
      ' --force-local skips relays that cannot be reached, for a relay that is gone for good: what it still holds stays there)',
    options: { confirm: { type: 'string' }, 'force-local': { type: 'boolean' } },
    positionals: [0, 0],
    async run(call) {
      const confirm = call.values.confirm as string | undefined;
      if (confirm === undefined) throw new UsageError('account delete needs --confirm USERNAME, typed exactly as your username.');
      const skipUnreachable = call.values['force-local'] === true;
      await withEngine(call, async (engine, vault) => {
        if (confirm !== vault.profile.username) {
          throw new HearthError('BAD_REQUEST', `"${confirm}" is not this vault's username; nothing was deleted. Type it exactly as shown by \`hearth audit\`, with the same capitals.`);
        }
        // Relay side first; if a relay cannot be reached this throws and the vault stays, so the user can retry.
        const result = await engine.deleteAccount({ skipUnreachable });
        await engine.close();
        vault.wipe();
        print(call, { ...result, wiped: call.vaultDir }, () =>
          `Deleted your account on ${result.relays} relay(s): ${result.spacesDeleted} space(s) you alone owned deleted, ${result.spacesKept} shared space(s) left to their other members.\n` +
          (result.skipped.length ? `Not reached (skipped with --force-local; what they hold stays there): ${result.skipped.join(', ')}\n` : '') +
          `Wiped the vault at ${call.vaultDir}: keys destroyed, files overwritten and removed.\n`,
        );
      });
    },
  },
  'member add': {
    usage: 'hearth member add W USERNAME --role owner|admin|editor|commenter|viewer',
    options: { role: { type: 'string' } },
    positionals: [2, 2],
    async run(call) {
      const role = roleArg(call.values.role as string | undefined, 'member add');
      await withEngine(call, async (engine) => {
        const member = await engine.invite(call.positionals[0]!, call.positionals[1]!, role);
        print(call, member, () => `Invited ${member.username} as ${role}\n`);
      });
    },
  },
  'member list': {
    usage: 'hearth member list W',
    positionals: [1, 1],
    run: (call) =>
      withEngine(call, async (engine) => {
        const members = await engine.members(call.positionals[0]!);
        print(call, members, () => table([['USERNAME', 'NAME', 'ROLE'], ...members.map((m) => [`${m.username ?? m.account}${m.isMe ? ' (you)' : ''}`, m.displayName ?? '', m.role])]));
      }),
  },
  'member role': {
    usage: 'hearth member role W USERNAME ROLE',
    positionals: [3, 3],
    async run(call) {
      const role = roleArg(call.positionals[2], 'member role');
      await withEngine(call, (engine) => engine.setRole(call.positionals[0]!, call.positionals[1]!, role));
    },
  },
  'member remove': {
    usage: 'hearth member remove W USERNAME   (rotates the workspace key in the same step)',
    positionals: [2, 2],
    run: (call) => withEngine(call, (engine) => engine.removeMember(call.positionals[0]!, call.positionals[1]!)),
  },
  share: {
    usage: 'hearth share DOC --user USERNAME --role admin|editor|commenter|viewer [--relay URL] [--yes]   (--yes: upload a personal document)',
    options: { user: { type: 'string' }, role: { type: 'string' }, relay: { type: 'string' }, yes: { type: 'boolean' } },
    positionals: [1, 1],
    async run(call) {
      const user = call.values.user as string | undefined;
      if (!user) throw new UsageError('share needs --user USERNAME.');
      const role = roleArg(call.values.role as string | undefined, 'share');
      const relay = call.values.relay as string | undefined;
      await withEngine(call, async (engine) => {
        const documentId = call.positionals[0]!;
        const plan = engine.describeShare(documentId, relay);
        if (plan.leavesDevice && !call.values.yes) {
          throw new HearthError('BAD_REQUEST', `Nothing was sent. ${plan.message} Run again with --yes to share it.`);
        }
        if (plan.leavesDevice && !call.json) call.io.err(`${plan.message}\n`);
        const member = await engine.shareDocument(documentId, user, role, { confirmed: call.values.yes === true, ...(relay ? { relay } : {}) });
        print(call, { documentId, relay: plan.relay, uploaded: plan.leavesDevice, member }, () => `Shared "${plan.title}" with ${member.username} as ${role}\n`);
      });
    },
  },
  'share revoke': {
    usage: 'hearth share revoke DOC --user USERNAME   (rotates the document\'s key in the same step)',
    options: { user: { type: 'string' } },
    positionals: [1, 1],
    async run(call) {
      const user = call.values.user as string | undefined;
      if (!user) throw new UsageError('share revoke needs --user USERNAME.');
      await withEngine(call, async (engine) => {
        await engine.unshareDocument(call.positionals[0]!, user);
        print(call, { documentId: call.positionals[0]!, revoked: user }, () => `${user} can no longer read what is written in this document from now on\n`);
      });
    },
  },
  'share list': {
    usage: 'hearth share list DOC',
    positionals: [1, 1],
    run: (call) =>
      withEngine(call, async (engine) => {
        const members = await engine.documentShares(call.positionals[0]!);
        print(call, members, () => table([['USERNAME', 'NAME', 'ROLE'], ...members.map((m) => [`${m.username ?? m.account}${m.isMe ? ' (you)' : ''}`, m.displayName ?? '', m.role])]));
      }),
  },
  'invite list': {
    usage: 'hearth invite list',
    positionals: [0, 0],
    run: (call) =>
      withEngine(call, async (engine) => {
        const invitations = await engine.invitations();
        print(call, invitations, () => table([['ID', 'KIND', 'NAME', 'ROLE', 'FROM'], ...invitations.map((i) => [i.id, i.kind, i.name, i.role, i.invitedBy ?? ''])]));
      }),
  },
  'invite accept': {
    usage: 'hearth invite accept ID',
    positionals: [1, 1],
    run: (call) =>
      withEngine(call, async (engine) => {
        const invitation = (await engine.invitations()).find((i) => i.id === call.positionals[0]!);
        const workspace = await engine.acceptInvitation(call.positionals[0]!);
        print(call, workspace, () =>
          invitation?.kind === 'document' ? `Accepted "${invitation.documentTitle ?? invitation.name}"; it is in ${workspace.name} (${workspace.id})\n` : `Joined ${workspace.name} (${workspace.id})\n`,
        );
      }),
  },
  sync: {
    usage: 'hearth sync [--workspace W]   (one round: push and pull until nothing is left)',
    options: { workspace: { type: 'string' } },
    positionals: [0, 0],
    run: (call) =>
      withEngine(call, async (engine, vault) => {
        const release = await holdSyncLease(vault);
        let report: Awaited<ReturnType<SyncEngine['syncOnce']>>;
        try {
          report = await engine.syncOnce(call.values.workspace as string | undefined);
        } finally {
          release();
        }
        const statuses = engine.status(call.values.workspace as string | undefined);
        print(call, { ...report, statuses }, () =>
          `Synced ${report.workspaces} workspace(s): ${report.pushed} change(s) sent, ${report.applied} received, ${report.refused} refused.\n` +
          statuses.filter((s) => s.state !== 'synced' || s.quarantined > 0).map((s) => `${s.name}: ${s.state}${s.reason ? ` (${s.reason.message})` : ''}${s.quarantined ? `, ${s.quarantined} change(s) kept aside` : ''}\n`).join(''),
        );
        for (const status of statuses) if (status.state === 'error' || status.state === 'offline') throw new HearthError(status.reason?.code ?? 'UNAVAILABLE', `${status.name}: ${status.reason?.message ?? status.state}`);
      }),
  },
  'link create': {
    usage: 'hearth link create DOC [--expires DURATION]   (publishes a read-only copy; prints its URL; DURATION like 30m, 12h, 7d)',
    options: { expires: { type: 'string' } },
    positionals: [1, 1],
    async run(call) {
      const expires = call.values.expires as string | undefined;
      const expiresInMs = expires === undefined ? undefined : durationArg(expires);
      await withEngine(call, async (engine) => {
        const link = await engine.createLink(call.positionals[0]!, expiresInMs === undefined ? {} : { expiresInMs });
        print(call, link, () => `${link.url}\n`);
      });
    },
  },
  'link list': {
    usage: 'hearth link list   (the active public links this vault created, and those of deleted documents a relay out of reach still serves)',
    positionals: [0, 0],
    run: (call) =>
      withEngine(call, async (engine, vault) => {
        // A deleted document's link stays readable until its relay hears of the deletion: shown (without its key) so it is not forgotten.
        // Asked first: it also marks the links of documents deleted by another process (the app), which are then no longer active.
        const pending = (await engine.pendingLinkRevocations()).flatMap((p) => {
          const record = vault.links.get(p.id);
          if (!record) return [];
          const { id, documentId, workspaceId, title, relay, createdAt, deletedAt } = p;
          return [{ id, documentId, workspaceId, title, url: record.url.split('#')[0]!, createdAt, expiresAt: record.expiresAt, state: 'pending-revocation' as const, relay, deletedAt }];
        });
        const active = (await engine.listLinks()).map((l) => ({ ...l, state: 'active' as const }));
        const links = [...active, ...pending];
        const relays = [...new Set(pending.map((p) => new URL(p.relay).host))].join(', ');
        print(
          call,
          links,
          () =>
            table([
              ['ID', 'DOCUMENT', 'STATE', 'EXPIRES', 'URL'],
              ...links.map((l) => [l.id, l.title, l.state === 'active' ? 'active' : 'pending revocation', l.expiresAt === null ? 'never' : when(l.expiresAt), l.url]),
            ]) +
            (pending.length === 0
              ? ''
              : `\n${pending.length} link(s) of deleted documents are still served by ${relays}, which could not be reached to revoke them: whoever has one can still read its copy. \`hearth sync\` tries again.\n`),
        );
      }),
  },
  'link revoke': {
    usage: 'hearth link revoke ID',
    positionals: [1, 1],
    run: (call) =>
      withEngine(call, async (engine) => {
        await engine.revokeLink(call.positionals[0]!);
        print(call, { revoked: call.positionals[0]! }, () => `Revoked ${call.positionals[0]!}\n`);
      }),
  },
  'link open': {
    usage: 'hearth link open URL   (prints the shared document as Markdown; needs no vault)',
    positionals: [1, 1],
    async run(call) {
      const opened = await openPublicLink(call.positionals[0]!);
      if (!call.json) call.io.err(`${opened.title} (published ${when(opened.publishedAt)}${opened.expiresAt === null ? '' : `, expires ${when(opened.expiresAt)}`})\n`);
      print(call, opened, () => opened.markdown);
    },
  },
  'passphrase change': {
    usage: 'hearth passphrase change   (new one from HEARTH_NEW_PASSPHRASE or the terminal)',
    positionals: [0, 0],
    run: (call) =>
      withVault(call, async (vault) => {
        const current = await passphrase(call.io, 'Current passphrase: ');
        const next = await newPassphrase(call.io, 'HEARTH_NEW_PASSPHRASE');
        await vault.changePassphrase(current, next);
        if (!call.json) call.io.err('Passphrase changed.\n');
      }),
  },
};

/** Progress on stderr, on one line, when a person is watching. */
function progressLine(call: Invocation, verb: string): ((p: { phase: string; done: number; total: number }) => void) | undefined {
  if (call.json || !process.stderr.isTTY) return undefined;
  return ({ phase, done, total }) => {
    if (phase === 'done') process.stderr.write('\r\x1b[K');
    else process.stderr.write(`\r\x1b[K${verb} ${phase}: ${phase === 'files' ? `${Math.floor((100 * done) / Math.max(total, 1))}%` : `${done}/${total}`}`);
  };
}

function usage(): string {
  return [
    'Usage: hearth [--vault DIR] [--json] COMMAND',
    '',
    ...Object.values(commands).map((c) => `  ${c.usage}`),
    '  hearth relay [--host H] [--port P] [--data DIR]',
    '',
    'The vault is --vault DIR, or $HEARTH_VAULT, or the default data folder.',
    'The passphrase is $HEARTH_PASSPHRASE, or asked for on the terminal.',
    '',
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function main(argv: string[], io: Partial<Io> = {}): Promise<number> {
  const fullIo: Io = {
    out: io.out ?? ((text) => process.stdout.write(text)),
    err: io.err ?? ((text) => process.stderr.write(text)),
    env: io.env ?? process.env,
    stdin: io.stdin ?? process.stdin,
  };
  const allOptions = Object.assign({}, GLOBAL_OPTIONS, ...Object.values(commands).map((c) => c.options ?? {})) as Options;
  const words = parseArgs({ args: argv, options: allOptions, allowPositionals: true, strict: false }).positionals;
  const name = [words.slice(0, 2).join(' '), words[0] ?? ''].find((candidate) => commands[candidate]);
  if (!name) {
    const askedForHelp = argv.includes('--help') || argv.includes('-h') || argv.length === 0;
    (askedForHelp ? fullIo.out : fullIo.err)(argv.length === 0 || askedForHelp ? usage() : `Unknown command: ${words.join(' ') || argv.join(' ')}\n\n${usage()}`);
    return askedForHelp ? 0 : 2;
  }
  const command = commands[name]!;
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    fullIo.err(`${(error as Error).message}\nUsage: ${command.usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    fullIo.out(`Usage: ${command.usage}\n`);
    return 0;
  }
  const positionals = parsed.positionals.slice(name.split(' ').length);
  const [min, max] = command.positionals;
  if (positionals.length < min || positionals.length > max) {
    fullIo.err(`Usage: ${command.usage}\n`);
    return 2;
  }
  const call: Invocation = {
    values: parsed.values,
    positionals,
    io: fullIo,
    vaultDir: (parsed.values.vault as string | undefined) ?? defaultVaultDir(fullIo.env),
    json: parsed.values.json === true,
  };
  try {
    await command.run(call);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      fullIo.err(`${error.message}\nUsage: ${command.usage}\n`);
      return 2;
    }
    // SQLite's own failures (a full disk, a busy or read-only vault) that reached here unnamed.
    const known = isHearthError(error) ? error : vaultErrorOf(error);
    if (known) {
      fullIo.err(`hearth: ${known.message}\n`);
      return 1;
    }
    fullIo.err(`hearth: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
