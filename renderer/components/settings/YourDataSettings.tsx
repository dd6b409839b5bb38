/** Settings → Your data: export, import, encrypted backup, and restoring one beside this vault (a restore never overwrites it). */
import { useState, type FormEvent } from 'react';
import type { ImportResult } from '../../../common/api/contract.ts';
import { ApiFailure, call, hearth, messageOf } from '../../state/api.ts';
import { useLibrary } from '../../state/library.ts';
import { formatSize } from '../format.ts';
import { Field } from '../Field.tsx';
import { DataPicker, MessageLine, TaskProgress, useTask } from './parts.tsx';

export function YourDataSettings() {
  // Each finished export or backup refreshes the import list, so it shows up there at once.
  const [written, setWritten] = useState(0);
  return (
    <div className="settings-stack">
      <ExportSection onWritten={() => setWritten((n) => n + 1)} />
      <ImportSection refreshKey={written} />
      <BackupSection onWritten={() => setWritten((n) => n + 1)} />
      <RestoreBesideSection refreshKey={written} />
    </div>
  );
}

function ExportSection({ onWritten }: { onWritten: () => void }) {
  const workspaces = useLibrary((s) => s.workspaces);
  const [scope, setScope] = useState('all');
  const [format, setFormat] = useState<'folder' | 'zip'>('folder');
  const [history, setHistory] = useState<'full' | 'none'>('full');
  const { busy, message, run } = useTask();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(
      async () => {
        const result = await call(hearth().exportData({ format, history, ...(scope === 'all' ? {} : { workspaceId: scope }) }));
        const c = result.counts;
        return `Exported ${c.documents} document${c.documents === 1 ? '' : 's'}, ${c.comments} comment${c.comments === 1 ? '' : 's'} and ${c.files} file${c.files === 1 ? '' : 's'} to ${result.path}`;
      },
      { after: onWritten },
    );
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-labelledby="export-title">
      <h3 id="export-title">Export</h3>
      <p className="muted">
        Everything in an open format: Markdown for people, JSON for programs, full history for Hearth. Written unencrypted into your data folder; a new folder
        each time, nothing is overwritten.
      </p>
      <Field label="What to export">
        <select value={scope} onChange={(e) => setScope(e.target.value)}>
          <option value="all">All workspaces</option>
          {workspaces?.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
        </select>
      </Field>
      <fieldset className="inline-choice">
        <legend>Format</legend>
        <label className="radio">
          <input type="radio" name="export-format" checked={format === 'folder'} onChange={() => setFormat('folder')} />
          Folder
        </label>
        <label className="radio">
          <input type="radio" name="export-format" checked={format === 'zip'} onChange={() => setFormat('zip')} />
          .zip file
        </label>
      </fieldset>
      <fieldset className="inline-choice">
        <legend>Edit history</legend>
        <label className="radio">
          <input type="radio" name="export-history" checked={history === 'full'} onChange={() => setHistory('full')} />
          Every edit
        </label>
        <label className="radio">
          <input type="radio" name="export-history" checked={history === 'none'} onChange={() => setHistory('none')} />
          Only what documents say now
        </label>
      </fieldset>
      <TaskProgress task="export" active={busy} label="Export progress" />
      <MessageLine message={message} />
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Exporting…' : 'Export'}
      </button>
    </form>
  );
}

function summaryText(s: ImportResult): string {
  const parts = [
    `${s.documentsCreated} new document${s.documentsCreated === 1 ? '' : 's'}`,
    `${s.comments} comment${s.comments === 1 ? '' : 's'}`,
    `${s.files} file${s.files === 1 ? '' : 's'}`,
  ];
  const skipped: string[] = [];
  if (s.documentsMerged > 0) skipped.push(`${s.documentsMerged} document${s.documentsMerged === 1 ? ' was' : 's were'} already here (merged, not duplicated)`);
  if (s.filesSkipped > 0) skipped.push(`${s.filesSkipped} file${s.filesSkipped === 1 ? ' was' : 's were'} already here (skipped)`);
  if (s.documentsSkipped > 0)
    skipped.push(
      `${s.documentsSkipped} document${s.documentsSkipped === 1 ? ' is' : 's are'} in a team workspace or shared, and an import never changes those`,
    );
  const origin =
    s.kind === 'hearth-export' && !s.fromThisAccount && s.documentsCreated > 0
      ? ' This export is not from your account, so its documents arrived as new ones.'
      : '';
  return `Imported ${parts.join(', ')}${s.workspaces > 0 ? ` into ${s.workspaces} new workspace${s.workspaces === 1 ? '' : 's'}` : ''}.${skipped.length ? ` ${skipped.join('; ')}.` : ''}${origin}`;
}

function ImportSection({ refreshKey }: { refreshKey: number }) {
  const loadWorkspaces = useLibrary((s) => s.loadWorkspaces);
  const [path, setPath] = useState('');
  const { busy, message, setMessage, run } = useTask();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!path.trim()) return setMessage({ ok: false, text: 'Choose an export or a Markdown folder, or type the full path of one.' });
    await run(async () => summaryText(await call(hearth().importData({ path: path.trim() }))), { after: loadWorkspaces });
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-labelledby="import-title">
      <h3 id="import-title">Import</h3>
      <p className="muted">
        Your own Hearth export (folder or .zip) keeps its ids and history, so importing it twice adds nothing twice; someone else's arrives as new documents,
        and nothing in a team workspace is changed. A folder of Markdown files becomes new documents.
      </p>
      <DataPicker kinds={['export', 'markdown']} value={path} onChange={setPath} refreshKey={refreshKey} legend="What to import" />
      <TaskProgress task="import" active={busy} label="Import progress" />
      <MessageLine message={message} />
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Importing…' : 'Import'}
      </button>
    </form>
  );
}

function BackupSection({ onWritten }: { onWritten: () => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const { busy, message, setMessage, run } = useTask();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (passphrase.length < 8) return setMessage({ ok: false, text: 'Choose a backup passphrase of at least 8 characters.' });
    if (passphrase !== confirmation) return setMessage({ ok: false, text: 'The two backup passphrases differ. Type the same one twice.' });
    await run(
      async () => {
        const result = await call(hearth().backup({ passphrase }));
        setPassphrase('');
        setConfirmation('');
        return `Wrote an encrypted backup (${formatSize(result.bytes)}) to ${result.path}. Keep the backup passphrase: without it the backup cannot be opened.`;
      },
      {
        after: onWritten,
        describe: (error) =>
          error instanceof ApiFailure && error.code === 'ALREADY_EXISTS' ? 'A backup of that name exists already; try again.' : messageOf(error),
      },
    );
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-labelledby="backup-title">
      <h3 id="backup-title">Encrypted backup</h3>
      <p className="muted">
        One file, sealed with a backup passphrase, that restores everything on this or another computer: on a device without a vault (a new install, or after
        wiping this one) with “Restore from a backup” on the welcome screen, or here, beside this vault.
      </p>
      <Field label="Backup passphrase">
        <input type="password" autoComplete="new-password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
      </Field>
      <Field label="Confirm backup passphrase">
        <input type="password" autoComplete="new-password" value={confirmation} onChange={(e) => setConfirmation(e.target.value)} />
      </Field>
      <TaskProgress task="backup" active={busy} label="Backup progress" />
      <MessageLine message={message} />
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Writing the backup…' : 'Write backup'}
      </button>
    </form>
  );
}

/** A backup restored as a second vault next to this one: this vault stays as it is. */
function RestoreBesideSection({ refreshKey }: { refreshKey: number }) {
  const [path, setPath] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const { busy, message, setMessage, run } = useTask();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!path.trim()) return setMessage({ ok: false, text: 'Choose a backup, or type the full path of one.' });
    if (!passphrase) return setMessage({ ok: false, text: 'Type the backup passphrase you chose when you wrote the backup.' });
    await run(
      async () => {
        const result = await call(hearth().restoreBeside({ path: path.trim(), passphrase }));
        setPassphrase('');
        return `Restored the vault of @${result.profile.username} beside this one, into ${result.vaultDir}; this vault is unchanged. To open the restored one, start Hearth with --vault ${result.vaultDir} (it unlocks with the backup passphrase).`;
      },
      {
        describe: (error) =>
          error instanceof ApiFailure && error.code === 'WRONG_PASSPHRASE'
            ? 'That backup passphrase does not open this backup. Check it (capitals too) and try again; nothing was restored.'
            : messageOf(error),
      },
    );
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-labelledby="restore-beside-title">
      <h3 id="restore-beside-title">Restore beside this vault</h3>
      <p className="muted">
        A restore never overwrites this vault. Here a backup becomes a second vault in a new folder next to this one, which you open by starting Hearth with
        --vault. To have it in place of this one, wipe this device first (Danger Zone) and restore on the welcome screen.
      </p>
      <DataPicker kinds={['backup']} value={path} onChange={setPath} refreshKey={refreshKey} legend="Backup file" />
      <Field label="Backup passphrase of that file">
        <input type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
      </Field>
      <TaskProgress task="restore" active={busy} label="Restore progress" />
      <MessageLine message={message} />
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Restoring…' : 'Restore beside this vault'}
      </button>
    </form>
  );
}
