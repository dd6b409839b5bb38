/** The locked vault: one passphrase field; a wrong passphrase says so and keeps the field. */
import { useRef, useState, type FormEvent } from 'react';
import { Lock } from 'lucide-react';
import { Avatar } from '../components/Avatar.tsx';
import { UnsentNote } from '../components/UnsentEdits.tsx';
import { Field, FormError, useSubmit } from '../components/Field.tsx';
import { ApiFailure, messageOf } from '../state/api.ts';
import { useSession } from '../state/session.ts';

export function UnlockScreen() {
  const { unlock, profile, lockedReason } = useSession();
  const [passphrase, setPassphrase] = useState('');
  const { busy, problem, setProblem, run } = useSubmit();
  const input = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!passphrase) return setProblem('Type your passphrase to unlock.');
    const unlocked = await run(
      () => unlock(passphrase),
      (error) => (error instanceof ApiFailure && error.code === 'WRONG_PASSPHRASE' ? 'That passphrase is not right. Check Caps Lock and try again.' : messageOf(error)),
    );
    if (!unlocked) input.current?.select();
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
        <Field label="Passphrase">
          <input
            ref={input}
            type="password"
            autoComplete="current-password"
            value={passphrase}
            onChange={(e) => setPassphrase(e.target.value)}
            aria-invalid={problem ? true : undefined}
            autoFocus
          />
        </Field>
        <FormError problem={problem} />
        <button type="submit" className="button button-primary button-wide" disabled={busy}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
    </main>
  );
}
