/** Asks for one name (a new workspace, a rename) and submits it. */
import { useState, type FormEvent } from 'react';
import { Modal } from './Modal.tsx';
import { DialogActions, Field, FormError, useSubmit } from './Field.tsx';
import { useLibrary } from '../state/library.ts';

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
  const { busy, problem, setProblem, run } = useSubmit();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setProblem(`Type a ${label.toLowerCase()} first.`);
      return;
    }
    await run(async () => {
      await onSubmit(trimmed);
      onClose();
    });
  };
  return (
    <Modal title={title} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)} className="form">
        <Field label={label}>
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={maxLength} data-autofocus required />
        </Field>
        <FormError problem={problem} />
        <DialogActions onCancel={onClose} actionLabel={submitLabel} busyLabel="Saving…" busy={busy} />
      </form>
    </Modal>
  );
}

/** Asks for a new workspace's name and creates it (from the sidebar, and from the empty main screen). */
export function NewWorkspaceDialog({ onClose }: { onClose: () => void }) {
  const createWorkspace = useLibrary((s) => s.createWorkspace);
  return (
    <NameDialog
      title="New workspace"
      label="Workspace name"
      submitLabel="Create workspace"
      onSubmit={async (name) => {
        await createWorkspace(name);
      }}
      onClose={onClose}
    />
  );
}
