/**
 * The pieces every form here repeats: a labelled field, the error line under it, the dialog's
 * Cancel + action row, and the busy/problem state around one submit.
 */
import { useState, type ReactNode } from 'react';
import { messageOf } from '../state/api.ts';

/** `<label class="field">`: the visible label, then the control(s), then an optional hint inside the label. */
export function Field({ label, hint, children }: { label: ReactNode; hint?: ReactNode; children: ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
      {hint ? <span className="field-hint">{hint}</span> : null}
    </label>
  );
}

/** The form's problem, announced (role=alert); nothing when there is none. */
export function FormError({ problem }: { problem: string | null | undefined }) {
  if (!problem) return null;
  return (
    <p role="alert" className="form-error">
      {problem}
    </p>
  );
}

/**
 * A dialog's footer: Cancel, then the action. The action submits its form unless `onAction` is
 * given; while `busy` it shows `busyLabel` and is disabled.
 */
export function DialogActions({
  onCancel,
  cancelLabel = 'Cancel',
  cancelDisabled,
  cancelAutoFocus,
  actionLabel,
  busyLabel,
  busy,
  disabled,
  danger,
  onAction,
}: {
  onCancel: () => void;
  cancelLabel?: string;
  cancelDisabled?: boolean;
  cancelAutoFocus?: boolean;
  actionLabel: ReactNode;
  busyLabel: ReactNode;
  busy: boolean;
  disabled?: boolean;
  danger?: boolean;
  onAction?: () => void;
}) {
  return (
    <div className="modal-actions">
      <button type="button" className="button" onClick={onCancel} disabled={cancelDisabled} data-autofocus={cancelAutoFocus || undefined}>
        {cancelLabel}
      </button>
      <button
        type={onAction ? 'button' : 'submit'}
        className={danger ? 'button button-danger' : 'button button-primary'}
        onClick={onAction}
        disabled={busy || disabled}
      >
        {busy ? busyLabel : actionLabel}
      </button>
    </div>
  );
}

/**
 * Busy + problem around one submit. `run(work)` clears the problem and sets busy; when `work`
 * throws, the problem is `describe(error)` and busy ends (on success busy stays: the form goes away).
 * Resolves to whether `work` succeeded.
 */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const run = async (work: () => Promise<void>, describe: (error: unknown) => string = messageOf): Promise<boolean> => {
    setBusy(true);
    setProblem(null);
    try {
      await work();
      return true;
    } catch (error) {
      setProblem(describe(error));
      setBusy(false);
      return false;
    }
  };
  return { busy, problem, setProblem, run };
}
