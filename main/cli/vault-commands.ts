/** `hearth` commands about the vault as a whole: create it, search it, its audit log, export and import, backup and restore, wipe, passphrase. */
import { HearthError } from '../../common/errors.ts';
import { besideVaultDir } from '../app/data-folder.ts';
import { describeRemaining, eraseCopies, localCopies } from '../app/local-copies.ts';
import { createBackup, restoreBackup } from '../portability/backup.ts';
import { exportVault } from '../portability/export.ts';
import { importPath } from '../portability/import.ts';
import { checkUsername } from '../usecases/unlocked.ts';
import { Vault } from '../vault/vault.ts';
import { newPassphrase, optionalString, passphrase, print, progressLine, table, UsageError, withVault, type Command } from './invocation.ts';
import { askSecret } from './prompt.ts';

export const vaultCommands: Record<string, Command> = {
  init: {
    usage: 'hearth init --username U [--name N]',
    options: { username: { type: 'string' }, name: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const username = optionalString(call, 'username');
      if (!username) throw new UsageError('init needs --username U.');
      const secret = call.io.env.HEARTH_PASSPHRASE ?? (await newPassphrase(call.io, 'HEARTH_PASSPHRASE'));
      const vault = await Vault.create(call.vaultDir, {
        passphrase: secret,
        profile: { username, displayName: optionalString(call, 'name') ?? username },
      });
      try {
        const profile = vault.profile;
        print(
          call,
          { vault: call.vaultDir, profile, workspaces: vault.workspaces.list() },
          () => `Created a vault for ${profile.username} at ${call.vaultDir}\n`,
        );
      } finally {
        vault.lock();
      }
    },
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
    usage: 'hearth export --out DIR|FILE.zip [--workspace W] [--history full|none]   (none: each document without its edit history)',
    options: { out: { type: 'string' }, workspace: { type: 'string' }, history: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const out = optionalString(call, 'out');
      if (!out) throw new UsageError('export needs --out DIR.');
      const workspace = optionalString(call, 'workspace');
      const history = optionalString(call, 'history') ?? 'full';
      if (history !== 'full' && history !== 'none') throw new UsageError('--history is full (every edit, the default) or none (each document as it is now).');
      await withVault(call, async (vault) => {
        const manifest = await exportVault(vault, out, { ...(workspace ? { workspace } : {}), history, onProgress: progressLine(call, 'Exporting') });
        print(
          call,
          manifest,
          () => `Exported ${manifest.counts.documents} documents, ${manifest.counts.comments} comments and ${manifest.counts.files} files to ${out}\n`,
        );
      });
    },
  },
  import: {
    usage: 'hearth import PATH   (a Hearth export folder or .zip, or a folder of Markdown files)',
    positionals: [1, 1],
    run: (call) =>
      withVault(call, async (vault) => {
        const summary = await importPath(vault, call.positionals[0]!, { onProgress: progressLine(call, 'Importing') });
        print(call, summary, () => {
          const skipped = summary.documentsSkipped > 0 ? `; ${summary.documentsSkipped} in team workspaces or shared, left as they are` : '';
          const origin = summary.kind === 'hearth-export' && !summary.fromThisAccount ? ' as new documents (the export is not from this account)' : '';
          return `Imported ${summary.documentsCreated} new documents (${summary.documentsMerged} already here${skipped}), ${summary.comments} comments and ${summary.files} files${origin}\n`;
        });
      }),
  },
  backup: {
    usage: 'hearth backup --out FILE   (backup passphrase from HEARTH_BACKUP_PASSPHRASE or the terminal)',
    options: { out: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const out = optionalString(call, 'out');
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
    usage:
      'hearth restore FILE [--beside]   (into --vault DIR, which must hold no vault; --beside restores next to the vault that is there, as a second vault to open with --vault. Backup passphrase from HEARTH_BACKUP_PASSPHRASE, new vault passphrase from HEARTH_PASSPHRASE)',
    options: { beside: { type: 'boolean' } },
    positionals: [1, 1],
    async run(call) {
      const file = call.positionals[0]!;
      const exists = Vault.exists(call.vaultDir);
      if (exists && !call.values.beside)
        throw new HearthError(
          'VAULT_EXISTS',
          `A vault already exists at ${call.vaultDir}, and a restore never overwrites one; nothing was changed. Choose: \`hearth restore ${file} --beside\` (a second vault next to it, opened with --vault), \`hearth restore ${file} --vault OTHER_DIR\` (a folder of your choice), or \`hearth wipe\` this vault first.`,
        );
      const target = exists ? besideVaultDir(call.vaultDir) : call.vaultDir;
      const backupPassphrase = call.io.env.HEARTH_BACKUP_PASSPHRASE ?? (await askSecret('Backup passphrase: '));
      const vaultPassphrase = call.io.env.HEARTH_PASSPHRASE ?? (await newPassphrase(call.io, 'HEARTH_PASSPHRASE'));
      const vault = await restoreBackup(file, backupPassphrase, target, vaultPassphrase);
      try {
        print(call, { vault: target, beside: exists, profile: vault.profile }, () =>
          exists
            ? `Restored the vault of ${vault.profile.username} beside ${call.vaultDir}, into ${target}; that one is unchanged. Open the restored one with: hearth --vault ${target} …\n`
            : `Restored the vault of ${vault.profile.username} into ${target}\n`,
        );
      } finally {
        vault.lock();
      }
    },
  },
  wipe: {
    usage:
      "hearth wipe --confirm USERNAME [--erase-copies]   (destroys this device's vault; it cannot be undone. The exports and backups Hearth wrote stay, listed, unless --erase-copies erases them too)",
    options: { confirm: { type: 'string' }, 'erase-copies': { type: 'boolean' } },
    positionals: [0, 0],
    async run(call) {
      const confirm = optionalString(call, 'confirm');
      if (confirm === undefined) throw new UsageError('wipe needs --confirm USERNAME, typed exactly as your username.');
      await withVault(call, (vault) => {
        checkUsername(vault, confirm, 'wiped');
        const found = localCopies(vault);
        const { erased, remaining } = eraseCopies(found, call.values['erase-copies'] === true ? found.map((c) => c.path) : []);
        vault.wipe();
        print(
          call,
          { wiped: call.vaultDir, copiesErased: erased, copiesLeft: remaining },
          () =>
            [
              `Wiped the vault at ${call.vaultDir}: keys destroyed, files overwritten and removed.`,
              ...(erased.length ? [`Erased ${erased.map((c) => c.path).join(', ')}.`] : []),
              describeRemaining(remaining),
            ].join('\n') + '\n',
        );
      });
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
