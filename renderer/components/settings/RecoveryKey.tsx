/**
 * The recovery key in the app: shown once, the moment it is made, with an "I wrote it down" step
 * before the dialog closes; made (or replaced) in Settings → Security; and offered as soon as the
 * account is on a relay without one (the first team workspace registers it), because a recovery
 * key brings back what relays hold: the account and its team workspaces.
 */
import { useEffect, useState } from 'react';
import { KeyRound } from 'lucide-react';
import type { ApiResults, SecondFactorProofArg } from '../../../common/api/contract.ts';
import { askSecurityKey } from '../../security/security-key.ts';
import { ApiFailure, call, hearth, messageOf } from '../../state/api.ts';
import { Field, FormError } from '../Field.tsx';
import { Modal } from '../Modal.tsx';

type KeyState = ApiResults['recoveryKeyState'];

/** The new key, once: it closes only after the person ticks that they wrote it down. */
export function RecoveryKeyShown({ recoveryKey, onDone }: { recoveryKey: string; onDone: () => void }) {
  const [wroteItDown, setWroteItDown] = useState(false);
  return (
    <Modal
      title="Your recovery key"
      description="Shown only this once. Hearth keeps it nowhere."
      closable={false}
      onClose={() => {
        if (wroteItDown) onDone();
      }}
    >
      <div className="recovery-key" role="group" aria-label="Recovery key">
        {recoveryKey.split('-').map((group, i) => (
          <span key={i}>{group}</span>
        ))}
      </div>
      <p className="muted">
        Write it on paper and keep it away from this computer. If you lose every device, your username and this key bring back your account and its team
        workspaces on a new one. It does not cover personal workspaces: they stay on this device (keep a backup). Any older recovery key no longer works.
      </p>
      <label className="checkbox recovery-key-written">
        <input type="checkbox" checked={wroteItDown} onChange={(e) => setWroteItDown(e.target.checked)} data-autofocus />I wrote it down
      </label>
      <div className="modal-actions">
        <button type="button" className="button button-primary" disabled={!wroteItDown} onClick={onDone}>
          Done
        </button>
      </div>
    </Modal>
  );
}

function useRecoveryKey(watch: unknown) {
  const [state, setState] = useState<KeyState | undefined>(undefined);
  const [shown, setShown] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const reload = async () => setState(await call(hearth().recoveryKeyState()));
  useEffect(() => {
    reload().catch((error: unknown) => setProblem(messageOf(error)));
  }, [watch]);
  // Replacing a key revokes the old one, which a vault with a second factor confirms first.
  const [needsFactor, setNeedsFactor] = useState(false);
  const make = async (proof?: () => Promise<SecondFactorProofArg>) => {
    setBusy(true);
    setProblem(null);
    try {
      // No argument at all without a proof: an undefined one would reach main as null.
      setShown((await call(proof ? hearth().makeRecoveryKey(await proof()) : hearth().makeRecoveryKey())).key);
      setNeedsFactor(false);
    } catch (error) {
      if (error instanceof ApiFailure && error.code === 'SECOND_FACTOR_REQUIRED' && !proof) setNeedsFactor(true);
      else setProblem(messageOf(error));
    } finally {
      setBusy(false);
    }
  };
  const dialog = shown ? (
    <RecoveryKeyShown
      recoveryKey={shown}
      onDone={() => {
        setShown(null);
        void reload();
      }}
    />
  ) : null;
  return { state, busy, problem, make, dialog, needsFactor };
}

/** Confirms replacing the recovery key with the vault's second factor: the security key, or one of its recovery codes. */
function ConfirmWithSecondFactor({ busy, onProof }: { busy: boolean; onProof: (proof: () => Promise<SecondFactorProofArg>) => void }) {
  const [code, setCode] = useState('');
  const withKey = async (): Promise<SecondFactorProofArg> => {
    const status = await call(hearth().secondFactor());
    if (!status) throw new Error('This vault has no security key enrolled.');
    return askSecurityKey({ prfSalt: status.prfSalt, credentialIds: status.credentials.map((c) => c.id) });
  };
  return (
    <>
      <p className="muted">Making a new key revokes the old one, so confirm with your second factor: your security key, or one of its recovery codes.</p>
      <div className="form-actions">
        <button type="button" className="button button-primary" disabled={busy} onClick={() => onProof(withKey)}>
          Use my security key
        </button>
      </div>
      <Field label="Or a recovery code of your security key">
        <input value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" spellCheck={false} />
      </Field>
      <div className="form-actions">
        <button type="button" className="button" disabled={busy || !code.trim()} onClick={() => onProof(async () => ({ kind: 'recovery', code: code.trim() }))}>
          Confirm with the code
        </button>
      </div>
    </>
  );
}

/** Settings → Security → Recovery key. */
export function RecoveryKeySettings() {
  const { state, busy, problem, make, dialog, needsFactor } = useRecoveryKey(null);
  return (
    <div className="form" role="region" aria-labelledby="recovery-key-title">
      <h3 id="recovery-key-title">Recovery key</h3>
      {state === undefined ? (
        <p className="muted">Reading…</p>
      ) : !state.registered ? (
        <p className="muted">
          Your account is on no relay yet, so a recovery key would have nothing to bring back: it covers your account and its team workspaces. Personal
          workspaces stay on this device; keep a backup of them (Your data → Backup).
        </p>
      ) : state.active ? (
        <p className="muted">
          Your account has a recovery key{state.madeAt ? ` (made ${new Date(state.madeAt).toLocaleDateString()})` : ''}. Make a new one if the paper may have
          been seen: the old one then stops working.
        </p>
      ) : (
        <p className="muted">
          Your account has no recovery key. If you lose every device, only a recovery key brings back your account and its team workspaces.
        </p>
      )}
      <FormError problem={problem} />
      {needsFactor ? (
        <ConfirmWithSecondFactor busy={busy} onProof={(proof) => void make(proof)} />
      ) : state?.registered ? (
        <div className="form-actions">
          <button type="button" className="button" disabled={busy} onClick={() => void make()}>
            {busy ? 'Making the key…' : state.active ? 'Make a new recovery key' : 'Make a recovery key'}
          </button>
        </div>
      ) : null}
      {dialog}
    </div>
  );
}

/** Above the workspace, once the account is on a relay with no recovery key: the moment to write one down. */
export function RecoveryKeyPrompt({ watch }: { watch: unknown }) {
  const { state, busy, problem, make, dialog } = useRecoveryKey(watch);
  if (!state?.registered || (state.active && !dialog)) return null;
  return (
    <div className="recovery-key-prompt" role="status">
      {state.active ? null : (
        <>
          <p>
            <KeyRound aria-hidden size={14} className="inline-icon" /> <strong>Your account is on a relay now.</strong> Write down a recovery key: if you lose
            every device, it brings back your account and its team workspaces.
          </p>
          <button type="button" className="button button-small button-primary" disabled={busy} onClick={() => void make()}>
            {busy ? 'Making the key…' : 'Make a recovery key'}
          </button>
          <FormError problem={problem} />
        </>
      )}
      {dialog}
    </div>
  );
}
