/** Workspaces, the documents of the selected workspace, and which document is open. */
import { create } from 'zustand';
import type { DocumentSummary, Workspace } from '../../common/api/contract.ts';
import { call, hearth, messageOf } from './api.ts';

interface LibraryState {
  workspaces: Workspace[] | null;
  workspacesProblem: string | null;
  selectedWorkspaceId: string | null;
  /** Documents of the selected workspace, newest first; null while loading. */
  documents: DocumentSummary[] | null;
  documentsProblem: string | null;
  openDocumentId: string | null;
  /** What the workspace column shows. */
  view: 'documents' | 'files';
  /** A search hit being opened: the open document shows where the query matched, then clears it. */
  found: Found | null;
  /** Documents carrying this tag only; null shows all. */
  tagFilter: string | null;

  loadWorkspaces(): Promise<void>;
  selectWorkspace(id: string): Promise<void>;
  setView(view: 'documents' | 'files'): void;
  createWorkspace(name: string): Promise<Workspace>;
  renameWorkspace(id: string, name: string): Promise<void>;
  deleteWorkspace(id: string): Promise<void>;
  loadDocuments(): Promise<void>;
  createDocument(title: string): Promise<DocumentSummary>;
  openDocument(id: string | null): void;
  /** Opens a document that may live in another workspace (from search), showing where `found` matched. */
  reveal(workspaceId: string, documentId: string, found?: Omit<Found, 'documentId'>): Promise<void>;
  clearFound(): void;
  filterByTag(tag: string | null): void;
  updateDocument(id: string, patch: { title?: string; tags?: string[] }): Promise<void>;
  documentSaved(summary: DocumentSummary): void;
  deleteDocument(id: string): Promise<void>;
  /** After a change made elsewhere (a peer, sync, another process): workspaces and documents read again; an open document that is gone closes. */
  reloadAfterChange(): Promise<void>;
  reset(): void;
}

export interface Found {
  documentId: string;
  query: string;
  /** A hit in a comment: its id. */
  commentId?: string;
}

/** Where the user was, kept for this tab so a reload returns there. */
const PLACE_KEY = 'hearth.place';
interface Place {
  workspaceId: string | null;
  documentId: string | null;
}
function rememberPlace(place: Place): void {
  try {
    sessionStorage.setItem(PLACE_KEY, JSON.stringify(place));
  } catch {
    // Storage may be unavailable; the place is only a convenience.
  }
}
function recallPlace(): Place {
  try {
    const place = JSON.parse(sessionStorage.getItem(PLACE_KEY) ?? 'null') as Partial<Place> | null;
    return {
      workspaceId: typeof place?.workspaceId === 'string' ? place.workspaceId : null,
      documentId: typeof place?.documentId === 'string' ? place.documentId : null,
    };
  } catch {
    return { workspaceId: null, documentId: null };
  }
}

const byUpdated = (a: DocumentSummary, b: DocumentSummary) => b.updatedAt - a.updatedAt;

/**
 * How often the list takes a save that moved only the time of the document already at its top.
 * Typing saves on every key, and each new list re-rendered the whole window (sidebar, list, open
 * document) inside the keystroke's frame, before it could be painted; the list shows such a time
 * as "just now" anyway.
 */
const TIME_ONLY_MS = 1000;
/** Saves of that kind waiting for the next TIME_ONLY_MS tick, by document. */
const lateTimes = new Map<string, DocumentSummary>();
let lateTimer: ReturnType<typeof setTimeout> | undefined;

/** `documents` with `summaries` in place of their documents' entries, newest first. */
function withSummaries(documents: DocumentSummary[], summaries: DocumentSummary[]): DocumentSummary[] {
  const ids = new Set(summaries.map((s) => s.id));
  return [...summaries, ...documents.filter((d) => !ids.has(d.id))].sort(byUpdated);
}

function onlyTimeMoved(known: DocumentSummary, summary: DocumentSummary): boolean {
  return (
    known.title === summary.title &&
    known.createdAt === summary.createdAt &&
    known.tags.length === summary.tags.length &&
    known.tags.every((tag, i) => tag === summary.tags[i])
  );
}

export const useLibrary = create<LibraryState>()((set, get) => ({
  workspaces: null,
  workspacesProblem: null,
  selectedWorkspaceId: null,
  documents: null,
  documentsProblem: null,
  openDocumentId: null,
  view: 'documents',
  found: null,
  tagFilter: null,

  async loadWorkspaces() {
    try {
      const workspaces = await call(hearth().listWorkspaces());
      set({ workspaces, workspacesProblem: null });
      const selected = get().selectedWorkspaceId;
      if (!selected || !workspaces.some((w) => w.id === selected)) {
        const place = recallPlace();
        const remembered = workspaces.find((w) => w.id === place.workspaceId);
        const first = remembered ?? workspaces[0];
        if (first) await get().selectWorkspace(first.id);
        if (remembered && place.documentId && get().documents?.some((d) => d.id === place.documentId)) get().openDocument(place.documentId);
      }
      if (workspaces.length === 0) set({ selectedWorkspaceId: null, documents: [], openDocumentId: null });
    } catch (error) {
      set({ workspacesProblem: messageOf(error) });
    }
  },

  async selectWorkspace(id) {
    if (get().selectedWorkspaceId === id && get().documents) return;
    set({ selectedWorkspaceId: id, documents: null, documentsProblem: null, openDocumentId: null, tagFilter: null });
    rememberPlace({ workspaceId: id, documentId: null });
    await get().loadDocuments();
  },

  setView(view) {
    set({ view });
  },

  async createWorkspace(name) {
    const workspace = await call(hearth().createWorkspace(name));
    set({ workspaces: [...(get().workspaces ?? []), workspace] });
    await get().selectWorkspace(workspace.id);
    return workspace;
  },

  async renameWorkspace(id, name) {
    const renamed = await call(hearth().renameWorkspace(id, name));
    set({ workspaces: (get().workspaces ?? []).map((w) => (w.id === id ? renamed : w)) });
  },

  async deleteWorkspace(id) {
    await call(hearth().deleteWorkspace(id));
    const workspaces = (get().workspaces ?? []).filter((w) => w.id !== id);
    set({ workspaces });
    if (get().selectedWorkspaceId === id) {
      set({ selectedWorkspaceId: null, documents: null, openDocumentId: null });
      const first = workspaces[0];
      if (first) await get().selectWorkspace(first.id);
      else set({ documents: [] });
    }
  },

  async loadDocuments() {
    const workspaceId = get().selectedWorkspaceId;
    if (!workspaceId) return;
    try {
      const documents = await call(hearth().listDocuments(workspaceId));
      if (get().selectedWorkspaceId === workspaceId) set({ documents: [...documents].sort(byUpdated), documentsProblem: null });
    } catch (error) {
      if (get().selectedWorkspaceId === workspaceId) set({ documentsProblem: messageOf(error), documents: [] });
    }
  },

  async createDocument(title) {
    const workspaceId = get().selectedWorkspaceId;
    if (!workspaceId) throw new Error('Create or choose a workspace first.');
    const summary = await call(hearth().createDocument(workspaceId, { title }));
    set({ documents: [summary, ...(get().documents ?? [])], view: 'documents' });
    get().openDocument(summary.id);
    return summary;
  },

  openDocument(id) {
    set({ openDocumentId: id });
    rememberPlace({ workspaceId: get().selectedWorkspaceId, documentId: id });
  },

  async reveal(workspaceId, documentId, found) {
    if (get().selectedWorkspaceId !== workspaceId) await get().selectWorkspace(workspaceId);
    set({ view: 'documents', found: found ? { documentId, ...found } : null });
    // The hit must be in the list to be seen: a tag filter that hides it goes.
    const shown = get().documents?.find((d) => d.id === documentId);
    if (get().tagFilter && shown && !shown.tags.includes(get().tagFilter!)) set({ tagFilter: null });
    get().openDocument(documentId);
  },

  clearFound() {
    set({ found: null });
  },

  filterByTag(tagFilter) {
    set({ tagFilter });
  },

  async updateDocument(id, patch) {
    const summary = await call(hearth().updateDocument(id, patch));
    get().documentSaved(summary);
  },

  documentSaved(summary) {
    const documents = get().documents;
    if (!documents || summary.workspaceId !== get().selectedWorkspaceId) return;
    // Answers can arrive out of order (the editor's save and a title change in flight together):
    // an older summary never replaces a newer one.
    const known = documents.find((d) => d.id === summary.id);
    if (known && known.updatedAt > summary.updatedAt) return;
    if (known && documents[0] === known && onlyTimeMoved(known, summary)) {
      lateTimes.set(summary.id, summary);
      lateTimer ??= setTimeout(() => {
        lateTimer = undefined;
        const late = [...lateTimes.values()];
        lateTimes.clear();
        const current = get().documents;
        if (!current) return;
        const fresh = late.filter((l) => current.some((d) => d.id === l.id && d.updatedAt < l.updatedAt));
        if (fresh.length > 0) set({ documents: withSummaries(current, fresh) });
      }, TIME_ONLY_MS);
      return;
    }
    lateTimes.delete(summary.id);
    set({ documents: withSummaries(documents, [summary]) });
  },

  async deleteDocument(id) {
    await call(hearth().deleteDocument(id));
    set({
      documents: (get().documents ?? []).filter((d) => d.id !== id),
      openDocumentId: get().openDocumentId === id ? null : get().openDocumentId,
    });
  },

  async reloadAfterChange() {
    await get().loadWorkspaces();
    await get().loadDocuments();
    const { openDocumentId, documents } = get();
    if (openDocumentId && documents && !documents.some((d) => d.id === openDocumentId)) get().openDocument(null);
  },

  reset() {
    clearTimeout(lateTimer);
    lateTimer = undefined;
    lateTimes.clear();
    set({
      workspaces: null,
      selectedWorkspaceId: null,
      documents: null,
      openDocumentId: null,
      view: 'documents',
      workspacesProblem: null,
      documentsProblem: null,
      found: null,
      tagFilter: null,
    });
  },
}));
