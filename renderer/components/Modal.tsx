/**
 * A modal dialog on the platform's <dialog>: showModal() makes the rest of the page inert, traps
 * focus and closes on Escape, with no inline <style> (which the CSP forbids and some dialog
 * libraries inject). Mount it to open it; the element marked data-autofocus gets focus, and focus
 * goes back to where it came from on close.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { X } from 'lucide-react';

interface ModalProps {
  title: string;
  description?: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
  /** False: no Close button (a dialog that closes only through its own step, e.g. the recovery key's "I wrote it down"). */
  closable?: boolean;
}

export function Modal({ title, description, onClose, children, wide, closable = true }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    // React's autoFocus runs while the dialog is still closed, so the dialog picks the field itself.
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    const onCancel = (event: Event) => {
      event.preventDefault();
      closeRef.current();
    };
    dialog.addEventListener('cancel', onCancel);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      if (returnTo?.isConnected) returnTo.focus();
    };
  }, []);

  return (
    <dialog ref={ref} className={wide ? 'modal modal-wide' : 'modal'} aria-labelledby={titleId} aria-describedby={description ? descriptionId : undefined}>
      <header className="modal-header">
        <h2 id={titleId}>{title}</h2>
        {closable ? (
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            <X aria-hidden size={18} />
          </button>
        ) : null}
      </header>
      {description ? (
        <p id={descriptionId} className="modal-description">
          {description}
        </p>
      ) : null}
      {children}
    </dialog>
  );
}
