/**
 * The locked vault: the passphrase, and the security key once one is enrolled (asked for when the
 * form is sent), or a recovery code in its place. With "stay unlocked" and a security key, the
 * key alone unlocks this device. A wrong passphrase, key or code says so and keeps the fields.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Lock } from 'lucide-react';
import type { SecondFactorProofArg, UnlockMethod } from '../../common/api/contract.ts';
import { Avatar } from '../components/Avatar.tsx';
import { UnsentNote } from '../components/UnsentEdits.tsx';
import { Field, FormError, useSubmit } from '../components/Field.tsx';
import { askSecurityKey } from '../security/security-key.ts';
import { ApiFailure, call, hearth, messageOf } from '../state/api.ts';
import { useSession } from '../state/session.ts';

type Mode = 'passphrase' | 'recovery' | 'key-only';

function problemText(error: unknown): string {
  if (!(error instanceof ApiFailure)) return messageOf(error);
  if (error.code === 'WRONG_PASSPHRASE') return 'That passphrase is not right. Check Caps Lock and try again.';
  return error.message;
}

export function UnlockScreen() {
  const { unlock, profile, lockedReason } = useSession();
  const [method, setMethod] = useState<UnlockMethod | null>(null);
  const [mode, setMode] = useState<Mode>('passphrase');
  const [passphrase, setPassphrase] = useState('');
  const [code, setCode] = useState('');
  const { busy, problem, setProblem, run } = useSubmit();
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    void call(hearth().unlockMethod()).then(
      (found) => {
        setMethod(found);
        if (found.keyOnly) setMode('key-only');
      },
      () => setMethod({ securityKey: null, keyOnly: false }),
    );
  }, []);

  const securityKey = method?.securityKey ?? null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mode !== 'key-only' && !passphrase) return setProblem('Type your passphrase to unlock.');
    if (mode === 'recovery' && !code.trim()) return setProblem('Type one of your recovery codes, or use your security key instead.');
    const unlocked = await run(async () => {
      let proof: SecondFactorProofArg | undefined;
      if (mode === 'recovery') proof = { kind: 'recovery', code };
      else if (securityKey) proof = await askSecurityKey(securityKey);
      await unlock(mode === 'key-only' ? null : passphrase, proof);
    }, problemText);
    if (!unlocked && mode !== 'key-only') input.current?.select();
  };

  const switchTo = (next: Mode) => {
    setMode(next);
    setProblem(null);
  };

  const buttonText = busy
    ? securityKey && mode !== 'recovery'
      ? 'Touch your security key…'
      : 'Unlocking…'
    : securityKey && mode !== 'recovery'
      ? 'Unlock with security key'
      : 'Unlock';

  return (
    <main className="gate">
      <form className="gate-card form" onSubmit={(e) => void submit(e)} aria-labelledby="unlock-title">
        <div className="gate-identity">
          {profile ? <Avatar name={profile.displayName} src={profile.avatar} size={64} /> : <Lock aria-hidden size={40} />}
          <h1 id="unlock-title">{profile ? `Unlock Hearth, ${profile.displayName}` : 'Unlock Hearth'}</h1>
        </div>
        {lockedReason === 'idle' ? <p className="muted">Hearth locked itself after a while without use.</p> : null}
        <UnsentNote />
        {mode === 'key-only' ? (
          <p className="muted">This device stays unlocked with your security key: no passphrase needed.</p>
        ) : (
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
        )}
        {mode === 'recovery' ? (
          <Field label="Recovery code" hint="One of the codes you saved when you enrolled your security key. Each works once.">
            <input
              value={code}
              onChange={(e) => setCode(e.target.value)}
              autoComplete="one-time-code"
              spellCheck={false}
              aria-invalid={problem ? true : undefined}
            />
          </Field>
        ) : securityKey && mode === 'passphrase' ? (
          <p className="field-hint">This vault also needs your security key: you will be asked to touch it.</p>
        ) : null}
        <FormError problem={problem} />
        <button type="submit" className="button button-primary button-wide" disabled={busy || method === null} autoFocus={mode === 'key-only'}>
          {buttonText}
        </button>
        {securityKey ? (
          <div className="gate-alternatives">
            {mode !== 'recovery' ? (
              <button type="button" className="button button-quiet" onClick={() => switchTo('recovery')}>
                Use a recovery code instead of the key
              </button>
            ) : (
              <button type="button" className="button button-quiet" onClick={() => switchTo('passphrase')}>
                Use my security key
              </button>
            )}
            {mode === 'key-only' ? (
              <button type="button" className="button button-quiet" onClick={() => switchTo('passphrase')}>
                Unlock with passphrase and key
              </button>
            ) : null}
          </div>
        ) : null}
      </form>
    </main>
  );
}
