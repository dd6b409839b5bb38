/** The open document's tags: remove one with its button, add one by typing and Enter, show a tag's documents by clicking it. */
import { useRef, useState, type KeyboardEvent } from 'react';
import { X } from 'lucide-react';

export function parseTags(text: string): string[] {
  const tags = text
    .split(',')
    .map((tag) => tag.trim().slice(0, 50))
    .filter(Boolean);
  return [...new Set(tags)].slice(0, 50);
}

interface TagEditorProps {
  tags: string[];
  /** Saves the whole new list; resolves once main has it. */
  onChange: (tags: string[]) => Promise<void>;
  /** Shows the workspace's documents that carry this tag. */
  onFilter: (tag: string) => void;
  readOnly?: boolean;
}

export function TagEditor({ tags, onChange, onFilter, readOnly = false }: TagEditorProps) {
  const [draft, setDraft] = useState('');
  // The list this editor last asked main for, shown until the answer arrives: a second tag added
  // before the first one's answer builds on it instead of on the old list (which lost the first).
  const [asked, setAsked] = useState<string[] | null>(null);
  const requests = useRef(0);
  const shown = asked ?? tags;
  const change = (next: string[]) => {
    const request = ++requests.current;
    setAsked(next);
    const settle = () => {
      if (requests.current === request) setAsked(null);
    };
    onChange(next).then(settle, settle);
  };
  const tagButton = (tag: string) => (
    <button type="button" className="tag-filter" title={`Show the documents tagged “${tag}”`} onClick={() => onFilter(tag)}>
      {tag}
    </button>
  );
  if (readOnly) {
    return (
      <div className="tag-editor">
        <ul className="tags" aria-label="Tags">
          {shown.map((tag) => (
            <li key={tag} className="tag">
              {tagButton(tag)}
            </li>
          ))}
        </ul>
      </div>
    );
  }
  const add = () => {
    const added = parseTags(draft);
    if (added.length === 0) return;
    change(parseTags([...shown, ...added].join(',')));
    setDraft('');
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter' || event.key === ',') {
      event.preventDefault();
      add();
    } else if (event.key === 'Backspace' && draft === '' && shown.length > 0) {
      change(shown.slice(0, -1));
    }
  };
  return (
    <div className="tag-editor">
      <ul className="tags" aria-label="Tags">
        {shown.map((tag) => (
          <li key={tag} className="tag">
            {tagButton(tag)}
            <button type="button" className="tag-remove" aria-label={`Remove tag ${tag}`} onClick={() => change(shown.filter((t) => t !== tag))}>
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
