/** First run, the other way in: restore an encrypted backup as this device's vault. */
import { useState, type FormEvent } from 'react';
import { DataPicker, TaskProgress } from '../components/settings/parts.tsx';
import { ApiFailure, call, hearth, messageOf } from '../state/api.ts';
import { useSession } from '../state/session.ts';
import { Field, FormError, useSubmit } from '../components/Field.tsx';

export function RestoreBackup({ onCancel }: { onCancel: () => void }) {
  const [path, setPath] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [newPassphrase, setNewPassphrase] = useState('');
  const { busy, problem, setProblem, run } = useSubmit();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!path.trim()) return setProblem('Choose a backup, or type the full path of one.');
    if (!passphrase) return setProblem('Type the backup passphrase you chose when you wrote the backup.');
    if (newPassphrase && newPassphrase.length < 8)
      return setProblem('Choose a new passphrase of at least 8 characters, or leave it empty to keep the backup passphrase.');
    await run(
      async () => {
        await call(hearth().restore({ path: path.trim(), passphrase, ...(newPassphrase ? { newPassphrase } : {}) }));
        await useSession.getState().load();
      },
      (error) =>
        error instanceof ApiFailure && error.code === 'WRONG_PASSPHRASE'
          ? 'That backup passphrase does not open this backup. Check it (capitals too) and try again; nothing was restored.'
          : messageOf(error),
    );
  };

  return (
    <main className="gate">
      <form className="gate-card form" onSubmit={(e) => void submit(e)} aria-labelledby="restore-title" noValidate>
        <h1 id="restore-title">Restore from a backup</h1>
        <p className="muted">Your documents, comments and files come back from an encrypted backup file written by Hearth.</p>
        <DataPicker kinds={['backup']} value={path} onChange={setPath} legend="Backup file" />
        <Field label="Backup passphrase">
          <input type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
        </Field>
        <Field label="New passphrase for this device (optional)">
          <input type="password" autoComplete="new-password" value={newPassphrase} onChange={(e) => setNewPassphrase(e.target.value)} />
        </Field>
        <p className="field-hint">Leave it empty to unlock with the backup passphrase from now on.</p>
        <TaskProgress task="restore" active={busy} label="Restore progress" />
        <FormError problem={problem} />
        <button type="submit" className="button button-primary button-wide" disabled={busy}>
          {busy ? 'Restoring…' : 'Restore'}
        </button>
        <button type="button" className="button button-wide" onClick={onCancel} disabled={busy}>
          Back: create a new vault instead
        </button>
      </form>
    </main>
  );
}
