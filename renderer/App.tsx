/** The page: connects to Hearth's core, follows the vault's state, applies the theme. */
import { useEffect } from 'react';
import { connectHearthApi } from './api/index.ts';
import { automergeReady } from './editor/automerge.ts';
import { openReplicas } from './editor/replica.ts';
import { FirstRunScreen } from './screens/FirstRunScreen.tsx';
import { MainScreen } from './screens/MainScreen.tsx';
import { UnlockScreen } from './screens/UnlockScreen.tsx';
import { messageOf, provideApi } from './state/api.ts';
import { useComments } from './state/comments.ts';
import { followDocumentChanges } from './state/document-events.ts';
import { useFiles } from './state/files.ts';
import { useLibrary } from './state/library.ts';
import { useSession } from './state/session.ts';
import { useUi } from './state/ui.ts';
import { useProgress } from './state/progress.ts';
import { Notices } from './components/Notices.tsx';
import { ConnectionBanner, useReconnectRefresh } from './components/ConnectionBanner.tsx';
import { useUnsentGuard } from './components/UnsentEdits.tsx';

export function App() {
  const phase = useSession((s) => s.phase);
  const problem = useSession((s) => s.problem);
  const theme = useSession((s) => s.settings.theme);
  useTheme(theme);
  useReconnectRefresh();
  useUnsentGuard();

  useEffect(() => {
    let unsubscribe: Array<() => void> = [];
    let cancelled = false;
    Promise.all([connectHearthApi(), automergeReady()]).then(
      ([api]) => {
        if (cancelled) return;
        provideApi(api);
        unsubscribe = [api.on('locked', ({ reason }) => onLocked(reason)), followDocumentChanges(api)];
        // Your data: progress of long work, and the vault gone (wipe, account deletion) → first run.
        unsubscribe.push(
          api.on('progress', (progress) => useProgress.getState().report(progress)),
          api.on('wiped', () => useSession.setState({ phase: 'no-vault', profile: null, lockedReason: null })),
        );
        void useSession.getState().load();
      },
      (error: unknown) => useSession.setState({ phase: 'unreachable', problem: messageOf(error) }),
    );
    return () => {
      cancelled = true;
      unsubscribe.forEach((off) => off());
    };
  }, []);

  useEffect(() => {
    if (phase !== 'unlocked') {
      // Nothing read from the vault stays in the page once it is locked.
      useLibrary.getState().reset();
      useComments.setState({ documentId: null, threads: null, activeThreadId: null });
      useFiles.setState({ workspaceId: null, files: null, uploads: [] });
      useUi.getState().openDialog(null);
      // Edits main has not confirmed wait in this page's memory for the unlock (a wipe ends them).
      if (phase === 'locked') for (const replica of openReplicas.values()) replica.park();
      openReplicas.clear();
    }
  }, [phase]);

  return (
    <>
      {phase === 'connecting' ? (
        <main className="gate" aria-busy="true">
          <p className="muted">Starting Hearth…</p>
        </main>
      ) : null}
      {phase === 'unreachable' ? (
        <main className="gate">
          <div className="gate-card">
            <h1>Hearth cannot start</h1>
            <p role="alert" className="form-error">
              {problem}
            </p>
            <p className="muted">Restart Hearth. If you opened it in a browser, open the address that `npm start` printed again.</p>
          </div>
        </main>
      ) : null}
      <ConnectionBanner />
      {phase === 'no-vault' ? <FirstRunScreen /> : null}
      {phase === 'locked' ? <UnlockScreen /> : null}
      {phase === 'unlocked' ? <MainScreen /> : null}
      <Notices />
    </>
  );
}

function onLocked(reason: 'idle' | 'user'): void {
  useSession.getState().wasLocked(reason);
}

/** Sets data-theme on <html>, following the system when the setting says so. */
function useTheme(theme: 'system' | 'light' | 'dark'): void {
  useEffect(() => {
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const apply = () => {
      document.documentElement.dataset['theme'] = theme === 'system' ? (media.matches ? 'dark' : 'light') : theme;
    };
    apply();
    media.addEventListener('change', apply);
    return () => media.removeEventListener('change', apply);
  }, [theme]);
}
