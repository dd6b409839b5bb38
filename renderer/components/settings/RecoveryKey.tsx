/**
 * The recovery key in the app: shown once, the moment it is made, with an "I wrote it down" step
 * before the dialog closes; made (or replaced) in Settings → Security; and offered as soon as the
 * account is on a relay without one (the first team workspace registers it), because a recovery
 * key brings back what relays hold: the account and its team workspaces.
 */
import { useEffect, useState } from 'react';
import { KeyRound } from 'lucide-react';
import type { ApiResults } from '../../../common/api/contract.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { FormError } from '../Field.tsx';
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
  const make = async () => {
    setBusy(true);
    setProblem(null);
    try {
      setShown((await call(hearth().makeRecoveryKey())).key);
    } catch (error) {
      setProblem(messageOf(error));
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
  return { state, busy, problem, make, dialog };
}

/** Settings → Security → Recovery key. */
export function RecoveryKeySettings() {
  const { state, busy, problem, make, dialog } = useRecoveryKey(null);
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
      {state?.registered ? (
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
