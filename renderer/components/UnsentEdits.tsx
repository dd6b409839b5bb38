/**
 * Edits waiting for the unlock (see editor/unsent.ts): a note on the unlock screen that says how
 * many there are and what is lost if the page goes first, and the browser's own "Leave site?"
 * question while they wait.
 */
import { useEffect, useSyncExternalStore } from 'react';
import { onUnsentChange, unsentSummary } from '../editor/unsent.ts';

export function useUnsent() {
  return useSyncExternalStore(onUnsentChange, unsentSummary);
}

export function UnsentNote() {
  const { documents, changes } = useUnsent();
  if (changes === 0) return null;
  const what = documents === 1 ? 'one document' : `${documents} documents`;
  return (
    <p className="unsent-note" role="status">
      Your latest edits to {what} are not saved yet: the vault locked while they were on their way. They are kept in this page only and saved as soon as you
      unlock. If you close or reload this page before unlocking, they are lost.
    </p>
  );
}

/** Asks before the page unloads while edits wait (the only copy is in this page's memory). */
export function useUnsentGuard(): void {
  const { changes } = useUnsent();
  useEffect(() => {
    if (changes === 0) return;
    const guard = (event: BeforeUnloadEvent) => {
      event.preventDefault();
    };
    window.addEventListener('beforeunload', guard);
    return () => window.removeEventListener('beforeunload', guard);
  }, [changes]);
}
