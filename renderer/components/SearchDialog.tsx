/** Search across every workspace (Ctrl/Cmd+K): results as you type, arrows to move, Enter to open. */
import { useEffect, useId, useRef, useState } from 'react';
import { FileText, MessageSquare } from 'lucide-react';
import type { SearchHit } from '../../common/api/contract.ts';
import { call, hearth, messageOf } from '../state/api.ts';
import { useLibrary } from '../state/library.ts';
import { Modal } from './Modal.tsx';
import { FormError } from './Field.tsx';

export function SearchDialog({ onClose }: { onClose: () => void }) {
  const reveal = useLibrary((s) => s.reveal);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const listId = useId();
  const asked = useRef(0);

  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setHits(null);
      return;
    }
    const ticket = ++asked.current;
    const timer = setTimeout(() => {
      call(hearth().search(q)).then(
        (found) => {
          if (ticket !== asked.current) return;
          setHits(found);
          setProblem(null);
          setActive(0);
        },
        (error: unknown) => {
          if (ticket === asked.current) setProblem(messageOf(error));
        },
      );
    }, 80);
    return () => clearTimeout(timer);
  }, [query]);

  const open = (hit: SearchHit | undefined) => {
    if (!hit) return;
    onClose();
    void reveal(hit.workspaceId, hit.documentId, { query: query.trim(), ...(hit.kind === 'comment' ? { commentId: hit.id } : {}) });
  };

  const optionId = (index: number) => `${listId}-${index}`;
  return (
    <Modal title="Search" onClose={onClose} wide>
      <input
        className="search-input"
        type="search"
        role="combobox"
        aria-label="Search documents and comments"
        aria-expanded={!!hits && hits.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={hits && hits.length > 0 ? optionId(active) : undefined}
        placeholder="Search documents and comments"
        value={query}
        data-autofocus
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          // A search field clears itself on Escape; here Escape closes the search at once.
          if (e.key === 'Escape') {
            e.preventDefault();
            return onClose();
          }
          if (!hits || hits.length === 0) return;
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((active + 1) % hits.length);
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((active - 1 + hits.length) % hits.length);
          } else if (e.key === 'Enter') {
            e.preventDefault();
            open(hits[active]);
          }
        }}
      />
      <FormError problem={problem} />
      <p className="visually-hidden" aria-live="polite">
        {hits ? `${hits.length} result${hits.length === 1 ? '' : 's'}` : ''}
      </p>
      {hits && hits.length === 0 ? <p className="muted search-empty">Nothing matches “{query.trim()}”. Try fewer or other words.</p> : null}
      {!hits ? <p className="muted search-empty">Type to search titles, text and comments in every workspace.</p> : null}
      <ul id={listId} role="listbox" aria-label="Results" className="search-results">
        {hits?.map((hit, index) => (
          <li
            key={`${hit.kind}-${hit.id}`}
            id={optionId(index)}
            role="option"
            aria-selected={index === active}
            className={index === active ? 'search-hit active' : 'search-hit'}
            onMouseEnter={() => setActive(index)}
            onClick={() => open(hit)}
          >
            {hit.kind === 'comment' ? <MessageSquare aria-hidden size={16} /> : <FileText aria-hidden size={16} />}
            <span className="search-hit-text">
              <span className="search-hit-title">{hit.title || 'Untitled'}</span>
              <span className="search-hit-snippet muted">{hit.snippet}</span>
            </span>
          </li>
        ))}
      </ul>
    </Modal>
  );
}
