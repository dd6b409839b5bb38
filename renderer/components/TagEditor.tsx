/** The open document's tags: remove one with its button, add one by typing and Enter. */
import { useState, type KeyboardEvent } from 'react';
import { X } from 'lucide-react';

export function parseTags(text: string): string[] {
  const tags = text
    .split(',')
    .map((tag) => tag.trim().slice(0, 50))
    .filter(Boolean);
  return [...new Set(tags)].slice(0, 50);
}

export function TagEditor({ tags, onChange, readOnly = false }: { tags: string[]; onChange: (tags: string[]) => void; readOnly?: boolean }) {
  const [draft, setDraft] = useState('');
  if (readOnly) {
    return (
      <div className="tag-editor">
        <ul className="tags" aria-label="Tags">
          {tags.map((tag) => (
            <li key={tag} className="tag">
              {tag}
            </li>
          ))}
        </ul>
      </div>
    );
  }
  const add = () => {
    const added = parseTags(draft);
    if (added.length === 0) return;
    onChange(parseTags([...tags, ...added].join(',')));
    setDraft('');
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter' || event.key === ',') {
      event.preventDefault();
      add();
    } else if (event.key === 'Backspace' && draft === '' && tags.length > 0) {
      onChange(tags.slice(0, -1));
    }
  };
  return (
    <div className="tag-editor">
      <ul className="tags" aria-label="Tags">
        {tags.map((tag) => (
          <li key={tag} className="tag">
            {tag}
            <button type="button" className="tag-remove" aria-label={`Remove tag ${tag}`} onClick={() => onChange(tags.filter((t) => t !== tag))}>
              <X aria-hidden size={12} />
            </button>
          </li>
        ))}
      </ul>
      <input
        className="tag-input"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={onKeyDown}
        onBlur={add}
        placeholder="Add tag"
        aria-label="Add a tag"
        maxLength={50}
      />
    </div>
  );
}
