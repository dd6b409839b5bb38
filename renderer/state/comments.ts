/** Comment threads of the open document. */
import { create } from 'zustand';
import type { CommentThread } from '../../common/api/contract.ts';
import { call, hearth, messageOf } from './api.ts';

interface CommentsState {
  documentId: string | null;
  threads: CommentThread[] | null;
  problem: string | null;
  activeThreadId: string | null;
  load(documentId: string): Promise<void>;
  add(text: string, anchor?: { from: number; to: number }): Promise<void>;
  reply(threadId: string, text: string): Promise<void>;
  resolve(threadId: string, resolved: boolean): Promise<void>;
  remove(commentId: string): Promise<void>;
  setActive(threadId: string | null): void;
}

export const useComments = create<CommentsState>()((set, get) => {
  const update = async (pending: ReturnType<ReturnType<typeof hearth>['listComments']>) => {
    const documentId = get().documentId;
    const threads = await call(pending);
    if (get().documentId === documentId) set({ threads, problem: null });
  };
  const current = () => {
    const id = get().documentId;
    if (!id) throw new Error('Open a document first.');
    return id;
  };
  return {
    documentId: null,
    threads: null,
    problem: null,
    activeThreadId: null,
    async load(documentId) {
      set({ documentId, threads: null, problem: null, activeThreadId: null });
      try {
        await update(hearth().listComments(documentId));
      } catch (error) {
        if (get().documentId === documentId) set({ problem: messageOf(error), threads: [] });
      }
    },
    async add(text, anchor) {
      await update(hearth().addComment(current(), { text, ...(anchor ? { anchor } : {}) }));
    },
    async reply(threadId, text) {
      await update(hearth().addComment(current(), { text, replyTo: threadId }));
    },
    async resolve(threadId, resolved) {
      await update(hearth().resolveComment(threadId, resolved));
    },
    async remove(commentId) {
      await update(hearth().deleteComment(commentId));
    },
    setActive(activeThreadId) {
      set({ activeThreadId });
    },
  };
});
