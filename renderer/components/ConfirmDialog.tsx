/** Asks before something that cannot be undone; the button names the action. */
import { Modal } from './Modal.tsx';
import { DialogActions, FormError, useSubmit } from './Field.tsx';

interface ConfirmDialogProps {
  title: string;
  description: string;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

export function ConfirmDialog({ title, description, confirmLabel, onConfirm, onClose }: ConfirmDialogProps) {
  const { busy, problem, run } = useSubmit();
  const confirm = () =>
    run(async () => {
      await onConfirm();
      onClose();
    });
  return (
    <Modal title={title} description={description} onClose={onClose}>
      <FormError problem={problem} />
      <DialogActions onCancel={onClose} cancelAutoFocus actionLabel={confirmLabel} busyLabel="Working…" busy={busy} danger onAction={() => void confirm()} />
    </Modal>
  );
}
