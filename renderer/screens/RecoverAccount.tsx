/** First run, the way back in when every device is lost: the relay, the username and the recovery key bring back the account. */
import { useEffect, useState, type FormEvent } from 'react';
import { isUsername, USERNAME_RULE } from '../../common/username.ts';
import { Field, FormError, useSubmit } from '../components/Field.tsx';
import { call, hearth } from '../state/api.ts';
import { useSession } from '../state/session.ts';

export function RecoverAccount({ onCancel }: { onCancel: () => void }) {
  const [relay, setRelay] = useState('');
  const [username, setUsername] = useState('');
  const [recoveryKey, setRecoveryKey] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const { busy, problem, setProblem, run } = useSubmit();
  useEffect(() => setProblem(null), [relay, username, recoveryKey, passphrase, confirmation, setProblem]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!/^wss?:\/\/\S+$/.test(relay.trim())) return setProblem('Type the relay address your account is on, starting with wss:// (or ws://).');
    if (!isUsername(username)) return setProblem(USERNAME_RULE);
    if (!recoveryKey.trim()) return setProblem('Type your recovery key as it is written on the paper.');
    if (passphrase.length < 8) return setProblem('Choose a passphrase of at least 8 characters for this device.');
    if (passphrase !== confirmation) return setProblem('The two passphrases differ. Type the same passphrase twice.');
    await run(async () => {
      await call(hearth().recoverAccount({ relay: relay.trim(), username, recoveryKey: recoveryKey.trim(), passphrase }));
      await useSession.getState().load();
    });
  };

  return (
    <main className="gate">
      <form className="gate-card form" onSubmit={(e) => void submit(e)} aria-labelledby="recover-title" noValidate>
        <h1 id="recover-title">Recover with a recovery key</h1>
        <p className="muted">
          When every device is lost, your recovery key brings back your account and its team workspaces on this one. Personal workspaces come back only from a
          backup.
        </p>
        <Field label="Relay address">
          <input value={relay} onChange={(e) => setRelay(e.target.value)} placeholder="wss://relay.example.org" autoFocus spellCheck={false} />
        </Field>
        <Field label="Username">
          <input value={username} onChange={(e) => setUsername(e.target.value.toLowerCase())} autoComplete="username" maxLength={32} />
        </Field>
        <Field label="Recovery key">
          <input
            className="recovery-key-input"
            value={recoveryKey}
            onChange={(e) => setRecoveryKey(e.target.value)}
            placeholder="XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX"
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
        <Field label="New passphrase for this device">
          <input type="password" autoComplete="new-password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
        </Field>
        <Field label="Confirm passphrase">
          <input type="password" autoComplete="new-password" value={confirmation} onChange={(e) => setConfirmation(e.target.value)} />
        </Field>
        <FormError problem={problem} />
        <button type="submit" className="button button-primary button-wide" disabled={busy}>
          {busy ? 'Bringing your account back…' : 'Recover my account'}
        </button>
        <button type="button" className="button button-wide" onClick={onCancel} disabled={busy}>
          Back: create a new vault instead
        </button>
      </form>
    </main>
  );
}
