/** Asks for one name (a new workspace, a rename) and submits it. */
import { useState, type FormEvent } from 'react';
import { Modal } from './Modal.tsx';
import { messageOf } from '../state/api.ts';

interface NameDialogProps {
  title: string;
  label: string;
  initial?: string;
  submitLabel: string;
  maxLength?: number;
  onSubmit: (name: string) => Promise<void>;
  onClose: () => void;
}

export function NameDialog({ title, label, initial = '', submitLabel, maxLength = 100, onSubmit, onClose }: NameDialogProps) {
  const [name, setName] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setProblem(`Type a ${label.toLowerCase()} first.`);
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      await onSubmit(trimmed);
      onClose();
    } catch (error) {
      setProblem(messageOf(error));
      setBusy(false);
    }
  };
  return (
    <Modal title={title} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)} className="form">
        <label className="field">
          <span>{label}</span>
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={maxLength} data-autofocus required />
        </label>
        {problem ? (
          <p role="alert" className="form-error">
            {problem}
          </p>
        ) : null}
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : submitLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}
