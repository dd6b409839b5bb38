/**
 * Full-text search over titles, bodies, tags and comments. The index lives only in memory,
 * built after unlock and dropped on lock: nothing searchable is ever written to disk in clear.
 * Until it is built, writes do no search work at all (build() reads everything when it runs).
 */
import type { SearchHit as ApiSearchHit } from '../../common/api/contract.ts';

/** A hit as the API describes it, with the score it was ranked by. */
export interface SearchHit extends ApiSearchHit {
  score: number;
}

interface IndexedItem {
  kind: 'document' | 'comment';
  id: string;
  documentId: string;
  workspaceId: string;
  text: string;
  terms: Map<string, number>;
  /** Terms of the document's title, for ranking title matches first. */
  titleTerms: Set<string>;
}

/**
 * Re-indexing a document reads its whole text (tens of ms at 100k characters), so it waits until
 * typing pauses this long; a search in the meantime re-indexes first (flush).
 */
const REINDEX_DELAY_MS = 2000;

export function tokenize(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);
}

export class SearchIndex {
  private readonly items = new Map<string, IndexedItem>();
  private readonly postings = new Map<string, Set<string>>();
  private readonly titles = new Map<string, string>();
  private sortedTerms: string[] | undefined;
  private readonly pending = new Map<string, { timer: ReturnType<typeof setTimeout>; run: () => void }>();
  private isBuilt = false;

  /** Whether build() has run since the last clear(): before that, updates are skipped. */
  get built(): boolean {
    return this.isBuilt;
  }

  /** Indexes everything at once; from then on, updates keep the index current. */
  build(
    documents: Iterable<{ id: string; workspaceId: string; text: { title: string; body: string; tags: string[] } }>,
    comments: Iterable<{ id: string; documentId: string; workspaceId: string; text: string }>,
  ): void {
    for (const { id, workspaceId, text } of documents) this.putDocument(id, workspaceId, text.title, text.body, text.tags);
    for (const comment of comments) this.putComment(comment.id, comment.documentId, comment.workspaceId, comment.text);
    this.isBuilt = true;
  }

  /** A new or moved document; `read` is called only when the index is built. */
  indexDocument(id: string, workspaceId: string, read: () => { title: string; body: string; tags: string[] }): void {
    if (!this.isBuilt) return;
    const { title, body, tags } = read();
    this.putDocument(id, workspaceId, title, body, tags);
  }

  private putDocument(id: string, workspaceId: string, title: string, body: string, tags: string[]): void {
    this.titles.set(id, title);
    this.put({ kind: 'document', id, documentId: id, workspaceId, text: `${title}\n${tags.map((t) => `#${t}`).join(' ')}\n${body}` }, new Set(tokenize(title)));
  }

  /** Debounced indexDocument: `read` is called once the document has been quiet for a moment. */
  scheduleDocument(id: string, workspaceId: string, title: string, read: () => { title: string; body: string; tags: string[] }): void {
    if (!this.isBuilt) return;
    clearTimeout(this.pending.get(id)?.timer);
    this.titles.set(id, title);
    const run = () => {
      this.pending.delete(id);
      const { title, body, tags } = read();
      this.putDocument(id, workspaceId, title, body, tags);
    };
    const timer = setTimeout(run, REINDEX_DELAY_MS);
    timer.unref?.();
    this.pending.set(id, { timer, run });
  }

  indexComment(id: string, documentId: string, workspaceId: string, text: string): void {
    if (this.isBuilt) this.putComment(id, documentId, workspaceId, text);
  }

  private putComment(id: string, documentId: string, workspaceId: string, text: string): void {
    this.put({ kind: 'comment', id, documentId, workspaceId, text }, new Set());
  }

  removeDocument(id: string): void {
    clearTimeout(this.pending.get(id)?.timer);
    this.pending.delete(id);
    this.titles.delete(id);
    for (const item of [...this.items.values()]) if (item.documentId === id) this.remove(itemKey(item.kind, item.id));
  }

  removeComment(id: string): void {
    this.remove(itemKey('comment', id));
  }

  /** Applies every debounced re-index now (before a search, so results are never stale). */
  flush(): void {
    for (const { timer, run } of [...this.pending.values()]) {
      clearTimeout(timer);
      run();
    }
  }

  /** Every query word must match; the last one may be a prefix, so results come as you type. */
  query(text: string, limit = 50): SearchHit[] {
    this.flush();
    const words = tokenize(text);
    if (words.length === 0) return [];
    let candidates: Set<string> | undefined;
    for (const [index, word] of words.entries()) {
      const matches = index === words.length - 1 ? this.prefixMatches(word) : (this.postings.get(word) ?? new Set<string>());
      candidates = candidates ? new Set([...candidates].filter((k) => matches.has(k))) : new Set(matches);
      if (candidates.size === 0) return [];
    }
    const ranked: Array<{ item: IndexedItem; score: number }> = [];
    for (const key of candidates ?? []) {
      const item = this.items.get(key)!;
      let score = 0;
      for (const word of words) score += (item.terms.get(word) ?? 0.5) + (item.titleTerms.has(word) ? 10 : 0);
      ranked.push({ item, score });
    }
    ranked.sort((a, b) => b.score - a.score);
    // Snippets only for what is shown.
    return ranked.slice(0, limit).map(({ item, score }) => ({
      kind: item.kind,
      id: item.id,
      documentId: item.documentId,
      workspaceId: item.workspaceId,
      title: this.titles.get(item.documentId) ?? '',
      snippet: snippet(item.text, words),
      score,
    }));
  }

  clear(): void {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    this.items.clear();
    this.postings.clear();
    this.titles.clear();
    this.sortedTerms = undefined;
    this.isBuilt = false;
  }

  get size(): number {
    return this.items.size;
  }

  private prefixMatches(prefix: string): Set<string> {
    this.sortedTerms ??= [...this.postings.keys()].sort();
    const terms = this.sortedTerms;
    let lo = 0;
    let hi = terms.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (terms[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out = new Set<string>();
    for (let i = lo; i < terms.length && terms[i]!.startsWith(prefix); i++) for (const key of this.postings.get(terms[i]!)!) out.add(key);
    return out;
  }

  private put(input: Omit<IndexedItem, 'terms' | 'titleTerms'>, titleTerms: Set<string>): void {
    const key = itemKey(input.kind, input.id);
    this.remove(key);
    const terms = new Map<string, number>();
    for (const term of tokenize(input.text)) terms.set(term, (terms.get(term) ?? 0) + 1);
    this.items.set(key, { ...input, terms, titleTerms });
    for (const term of terms.keys()) {
      let posting = this.postings.get(term);
      if (!posting) {
        posting = new Set();
        this.postings.set(term, posting);
        this.sortedTerms = undefined;
      }
      posting.add(key);
    }
  }

  private remove(key: string): void {
    const item = this.items.get(key);
    if (!item) return;
    for (const term of item.terms.keys()) {
      const posting = this.postings.get(term);
      posting?.delete(key);
      if (posting?.size === 0) {
        this.postings.delete(term);
        this.sortedTerms = undefined;
      }
    }
    this.items.delete(key);
  }
}

function itemKey(kind: string, id: string): string {
  return `${kind}:${id}`;
}

function snippet(text: string, words: string[]): string {
  const lower = text.toLowerCase();
  const at = Math.max(0, Math.min(...words.map((w) => lower.indexOf(w)).filter((i) => i >= 0), text.length));
  const start = Math.max(0, at - 40);
  const piece = text
    .slice(start, start + 120)
    .replace(/\s+/g, ' ')
    .trim();
  return (start > 0 ? '…' : '') + piece + (start + 120 < text.length ? '…' : '');
}
