/**
 * Settings → Security → Security key: enrol a security key or passkey (WebAuthn with PRF), after
 * which the vault opens only with the passphrase and the key; the recovery codes are shown once,
 * right after enrolment or when new ones are made. Removing the key asks for it (or a code) first.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { SecondFactorProofArg, SecondFactorStatus } from '../../../common/api/contract.ts';
import { askSecurityKey, enrolSecurityKey } from '../../security/security-key.ts';
import { ApiFailure, call, hearth, messageOf } from '../../state/api.ts';
import { useSession } from '../../state/session.ts';
import { FormError } from '../Field.tsx';

function problemText(error: unknown): string {
  if (error instanceof ApiFailure && error.code === 'WRONG_PASSPHRASE') return 'That passphrase is not right; nothing was changed.';
  return messageOf(error);
}

export function SecondFactorSettings() {
  const [status, setStatus] = useState<SecondFactorStatus | null | undefined>(undefined);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const [useCode, setUseCode] = useState(false);
  const [code, setCode] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  // Unlike useSubmit, the form stays after success (the status changes), so busy always ends.
  const run = async (work: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setProblem(null);
    try {
      await work();
    } catch (error) {
      setProblem(problemText(error));
    } finally {
      setBusy(false);
    }
  };
  const stayUnlocked = useSession((s) => s.settings.stayUnlocked === true);

  const reload = async () => setStatus(await call(hearth().secondFactor()));
  useEffect(() => {
    // Once, when the section opens.
    reload().catch((error: unknown) => setProblem(messageOf(error)));
  }, []);

  const proof = async (current: SecondFactorStatus): Promise<SecondFactorProofArg> =>
    useCode ? { kind: 'recovery', code } : askSecurityKey({ prfSalt: current.prfSalt, credentialIds: current.credentials.map((c) => c.id) });

  const finish = async (message: string) => {
    setPassphrase('');
    setCode('');
    setUseCode(false);
    setDone(message);
    await reload();
  };

  const enrol = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    if (!passphrase) return setProblem('Type your passphrase: enrolling a key changes how the vault is unlocked.');
    await run(async () => {
      const enrolment = await call(hearth().secondFactorEnrolment());
      const key = await enrolSecurityKey(enrolment, status?.credentials.map((c) => c.id) ?? []);
      const result = await call(
        hearth().enrolSecondFactor({ passphrase, credentialId: key.credentialId, prfSalt: enrolment.prfSalt, prfOutput: key.prfOutput }),
      );
      if (result.recoveryCodes.length > 0) setCodes(result.recoveryCodes);
      await finish(
        status
          ? 'Another security key is enrolled; either one unlocks Hearth.'
          : 'Security key enrolled. From now on Hearth unlocks only with your passphrase and this key.',
      );
    });
  };

  const act = (what: 'remove' | 'codes') => async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    if (!status) return;
    if (!passphrase) return setProblem('Type your passphrase first.');
    if (useCode && !code.trim()) return setProblem('Type one of your recovery codes, or use your security key.');
    await run(async () => {
      const given = await proof(status);
      if (what === 'remove') {
        await call(hearth().removeSecondFactor(passphrase, given));
        await finish('Security key removed. Hearth unlocks with your passphrase alone again.');
      } else {
        setCodes((await call(hearth().replaceRecoveryCodes(passphrase, given))).recoveryCodes);
        await finish('New recovery codes made; the old ones no longer work.');
      }
    });
  };

  if (codes) {
    return (
      <div className="form" role="region" aria-labelledby="recovery-codes-title">
        <h3 id="recovery-codes-title">Your recovery codes</h3>
        <p className="muted">
          Save these now: they are shown only once. If you lose your security key, one code and your passphrase unlock Hearth; each code works once. Keep them
          somewhere other than this computer.
        </p>
        <ol className="recovery-codes" aria-label="Recovery codes">
          {codes.map((c) => (
            <li key={c}>{c}</li>
          ))}
        </ol>
        <button type="button" className="button button-primary" autoFocus onClick={() => setCodes(null)}>
          I have saved these codes
        </button>
      </div>
    );
  }

  return (
    <form className="form" onSubmit={(e) => void (status ? act('remove')(e) : enrol(e))} aria-labelledby="second-factor-title">
      <h3 id="second-factor-title">Security key</h3>
      {status === undefined ? (
        <p className="muted">Reading…</p>
      ) : status ? (
        <p className="muted">
          Enrolled: Hearth opens only with your passphrase and your security key ({status.credentials.length} key{status.credentials.length === 1 ? '' : 's'},{' '}
          {status.recoveryCodesLeft} recovery code{status.recoveryCodesLeft === 1 ? '' : 's'} left).
          {stayUnlocked ? ' Staying unlocked on this device also needs the key.' : ''}
        </p>
      ) : (
        <p className="muted">
          Add a security key or passkey as a second factor: the vault will then open only with your passphrase and the key, even for someone who has the vault
          file and your passphrase. You get one-time recovery codes in case you lose the key.
        </p>
      )}
      <label className="field">
        <span>Passphrase</span>
        <input type="password" autoComplete="current-password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
      </label>
      {status && useCode ? (
        <label className="field">
          <span>Recovery code</span>
          <input value={code} onChange={(e) => setCode(e.target.value)} autoComplete="one-time-code" spellCheck={false} />
        </label>
      ) : null}
      <FormError problem={problem} />
      {done ? (
        <p role="status" className="form-ok">
          {done}
        </p>
      ) : null}
      {status ? (
        <div className="form-actions">
          <button type="submit" className="button button-danger" disabled={busy}>
            Remove security key
          </button>
          <button type="button" className="button" disabled={busy} onClick={(e) => void act('codes')(e)}>
            Make new recovery codes
          </button>
          <button type="button" className="button button-quiet" onClick={() => setUseCode(!useCode)}>
            {useCode ? 'Use my security key' : 'Use a recovery code instead of the key'}
          </button>
          <button type="button" className="button button-quiet" disabled={busy} onClick={(e) => void enrol(e)}>
            Add another key
          </button>
        </div>
      ) : (
        <button type="submit" className="button button-primary" disabled={busy || status === undefined}>
          {busy ? 'Touch your security key…' : 'Enrol a security key'}
        </button>
      )}
    </form>
  );
}
