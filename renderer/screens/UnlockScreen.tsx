/** The locked vault: one passphrase field; a wrong passphrase says so and keeps the field. */
import { useRef, useState, type FormEvent } from 'react';
import { Lock } from 'lucide-react';
import { Avatar } from '../components/Avatar.tsx';
import { UnsentNote } from '../components/UnsentEdits.tsx';
import { ApiFailure, messageOf } from '../state/api.ts';
import { useSession } from '../state/session.ts';

export function UnlockScreen() {
  const { unlock, profile, lockedReason } = useSession();
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!passphrase) return setProblem('Type your passphrase to unlock.');
    setBusy(true);
    setProblem(null);
    try {
      await unlock(passphrase);
    } catch (error) {
      setProblem(error instanceof ApiFailure && error.code === 'WRONG_PASSPHRASE' ? 'That passphrase is not right. Check Caps Lock and try again.' : messageOf(error));
      setBusy(false);
      input.current?.select();
    }
  };

  return (
    <main className="gate">
      <form className="gate-card form" onSubmit={(e) => void submit(e)} aria-labelledby="unlock-title">
        <div className="gate-identity">
          {profile ? <Avatar name={profile.displayName} src={profile.avatar} size={64} /> : <Lock aria-hidden size={40} />}
          <h1 id="unlock-title">{profile ? `Unlock Hearth, ${profile.displayName}` : 'Unlock Hearth'}</h1>
        </div>
        {lockedReason === 'idle' ? <p className="muted">Hearth locked itself after a while without use.</p> : null}
        <UnsentNote />
        <label className="field">
          <span>Passphrase</span>
          <input
            ref={input}
            type="password"
            autoComplete="current-password"
            value={passphrase}
            onChange={(e) => setPassphrase(e.target.value)}
            aria-invalid={problem ? true : undefined}
            autoFocus
          />
        </label>
        {problem ? (
          <p role="alert" className="form-error">
            {problem}
          </p>
        ) : null}
        <button type="submit" className="button button-primary button-wide" disabled={busy}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
    </main>
  );
}
