/**
 * Browser mode's connection to Hearth's core, when it is not simply up: "Reconnecting…" while
 * the client tries again, or what to do when it cannot come back (Hearth restarted with a new
 * address). Once it is back, the page catches up on what it missed while it was away.
 */
import { useEffect, useRef } from 'react';
import { openReplicas } from '../editor/replica.ts';
import { call, hearth } from '../state/api.ts';
import { useConnection } from '../state/connection.ts';
import { useLibrary } from '../state/library.ts';
import { useSession } from '../state/session.ts';

export function ConnectionBanner() {
  const state = useConnection((s) => s.state);
  if (state.kind === 'connected') return null;
  if (state.kind === 'gone') {
    return (
      <div className="connection-banner connection-banner-gone" role="alert">
        {state.message}
      </div>
    );
  }
  return (
    <div className="connection-banner" role="status" aria-live="polite">
      Reconnecting… Hearth&apos;s local server is not answering. Edits stay in this page and are saved when it is back.
    </div>
  );
}

/** After a reconnect: the vault's state again, and the open documents' changes made meanwhile. */
export function useReconnectRefresh(): void {
  const kind = useConnection((s) => s.state.kind);
  const previous = useRef(kind);
  useEffect(() => {
    const was = previous.current;
    previous.current = kind;
    if (kind !== 'connected' || was !== 'reconnecting') return;
    void (async () => {
      await useSession.getState().load();
      if (useSession.getState().phase !== 'unlocked') return;
      for (const replica of [...openReplicas.values()]) {
        try {
          const { bytes } = await call(hearth().openDocument(replica.documentId));
          replica.catchUp(bytes);
        } catch {
          // The document went meanwhile (or the connection again); its pane says so when it tries.
          replica.retry();
        }
      }
      const library = useLibrary.getState();
      if (library.workspaces) void library.loadWorkspaces();
      if (library.selectedWorkspaceId) void library.loadDocuments();
    })();
  }, [kind]);
}
