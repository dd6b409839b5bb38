/** Short messages about things that happened away from where the user is looking. */
import { X } from 'lucide-react';
import { useUi } from '../state/ui.ts';

export function Notices() {
  const { notices, dismiss } = useUi();
  return (
    <div className="notices" role="status" aria-live="polite">
      {notices.map((notice) => (
        <div key={notice.id} className="notice">
          <span>{notice.text}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(notice.id)}>
            <X aria-hidden size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}
