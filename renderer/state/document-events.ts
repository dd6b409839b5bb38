/**
 * What a page does when a document changed elsewhere (another window, the CLI, a peer): an open
 * editor takes the changes, the document list takes the summary the event carries, in place
 * (asking main for the whole list after every burst of a peer's typing was the old way), and an
 * open comment list is asked again once the burst is over (comments have no event of their own).
 */
import type { HearthApi } from '../../common/api/contract.ts';
import { openReplicas } from '../editor/replica.ts';
import { useComments } from './comments.ts';
import { useLibrary } from './library.ts';

/** How long after the last change of a burst an open comment list is asked again. */
const COMMENTS_SETTLE_MS = 500;

/** Follows documentChanged on `api`; returns the function that stops it. */
export function followDocumentChanges(api: Pick<HearthApi, 'on'>): () => void {
  let commentsTimer: ReturnType<typeof setTimeout> | undefined;
  const off = api.on('documentChanged', ({ documentId, changes, summary }) => {
    openReplicas.get(documentId)?.applyRemote(changes);
    useLibrary.getState().documentSaved(summary);
    if (useComments.getState().documentId !== documentId) return;
    clearTimeout(commentsTimer);
    commentsTimer = setTimeout(() => {
      const comments = useComments.getState();
      if (comments.documentId === documentId) void comments.load(documentId);
    }, COMMENTS_SETTLE_MS);
  });
  return () => {
    clearTimeout(commentsTimer);
    off();
  };
}
