/** First run: make the vault, with a passphrase (strength hint, confirmation) and a profile; or restore a backup, or link this device to an account. */
import { useEffect, useId, useState, type FormEvent } from 'react';
import { isUsername, USERNAME_RULE } from '../../common/username.ts';
import { AvatarPicker } from '../components/Avatar.tsx';
import { passphraseStrength } from '../components/passphraseStrength.ts';
import { useSession } from '../state/session.ts';
import { Field, FormError, useSubmit } from '../components/Field.tsx';
import { LinkDevice } from './LinkDevice.tsx';
import { RecoverAccount } from './RecoverAccount.tsx';
import { RestoreBackup } from './RestoreBackup.tsx';

export function FirstRunScreen() {
  const [way, setWay] = useState<'create' | 'restore' | 'link' | 'recover'>('create');
  if (way === 'restore') return <RestoreBackup onCancel={() => setWay('create')} />;
  if (way === 'link') return <LinkDevice onCancel={() => setWay('create')} />;
  if (way === 'recover') return <RecoverAccount onCancel={() => setWay('create')} />;
  return <CreateVault onRestore={() => setWay('restore')} onLink={() => setWay('link')} onRecover={() => setWay('recover')} />;
}

function CreateVault({ onRestore, onLink, onRecover }: { onRestore: () => void; onLink: () => void; onRecover: () => void }) {
  const createVault = useSession((s) => s.createVault);
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [avatar, setAvatar] = useState<string | null>(null);
  const { busy, problem, setProblem, run } = useSubmit();
  const hintId = useId();
  const usernameHintId = useId();
  const strength = passphraseStrength(passphrase);
  const mismatch = confirmation.length > 0 && confirmation !== passphrase;
  // A problem is about what was submitted: once the person edits the form it no longer holds.
  useEffect(() => setProblem(null), [passphrase, confirmation, username, displayName, avatar, setProblem]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (passphrase.length < 8) return setProblem('Choose a passphrase of at least 8 characters.');
    if (passphrase !== confirmation) return setProblem('The two passphrases differ. Type the same passphrase twice.');
    if (!isUsername(username)) return setProblem(USERNAME_RULE);
    if (!displayName.trim()) return setProblem('Type the name people will see.');
    await run(() => createVault({ passphrase, username, displayName: displayName.trim(), ...(avatar ? { avatar } : {}) }));
  };

  return (
    <main className="gate">
      <form className="gate-card form" onSubmit={(e) => void submit(e)} aria-labelledby="first-run-title" noValidate>
        <h1 id="first-run-title">Welcome to Hearth</h1>
        <p className="muted">
          Your documents, comments and files stay on this device, encrypted with a passphrase only you know. Hearth cannot recover it for you, so keep it
          somewhere safe.
        </p>
        <Field label="Passphrase">
          <input
            type="password"
            autoComplete="new-password"
            value={passphrase}
            onChange={(e) => setPassphrase(e.target.value)}
            aria-describedby={hintId}
            autoFocus
          />
        </Field>
        <div id={hintId} className={`strength strength-${strength.score}`} aria-live="polite">
          <span className="strength-meter" aria-hidden>
            <span />
            <span />
            <span />
            <span />
          </span>
          <span>
            <strong>{strength.label}.</strong> {strength.hint}
          </span>
        </div>
        <Field label="Confirm passphrase">
          <input type="password" autoComplete="new-password" value={confirmation} onChange={(e) => setConfirmation(e.target.value)} aria-invalid={mismatch} />
        </Field>
        {mismatch ? <p className="field-hint field-hint-error">The passphrases do not match yet.</p> : null}
        <Field label="Username">
          <input
            value={username}
            onChange={(e) => setUsername(e.target.value.toLowerCase())}
            autoComplete="username"
            maxLength={32}
            aria-describedby={usernameHintId}
          />
        </Field>
        <p id={usernameHintId} className="field-hint">
          Lowercase letters, digits, “.”, “_” or “-”. Shown to people you share with.
        </p>
        <Field label="Display name">
          <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} autoComplete="name" maxLength={64} />
        </Field>
        <AvatarPicker name={displayName || username} value={avatar} onChange={setAvatar} />
        <FormError problem={problem} />
        <button type="submit" className="button button-primary button-wide" disabled={busy}>
          {busy ? 'Creating your vault…' : 'Create vault'}
        </button>
        <button type="button" className="button button-wide" onClick={onRestore} disabled={busy}>
          Restore from a backup
        </button>
        <button type="button" className="button button-wide" onClick={onLink} disabled={busy}>
          I already have an account
        </button>
        <button type="button" className="button button-wide" onClick={onRecover} disabled={busy}>
          Recover with a recovery key
        </button>
      </form>
    </main>
  );
}
