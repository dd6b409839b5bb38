/** Formatting buttons for the editor; each shows whether it is on and names its shortcut. */
import type { ReactNode } from 'react';
import { Bold, Code, Heading1, Heading2, Heading3, Italic, Link, List, ListOrdered, MessageSquarePlus, Pilcrow, TextQuote } from 'lucide-react';
import type { Command } from 'prosemirror-state';
import type { EditorView } from 'prosemirror-view';
import {
  activeBlock,
  bulletList,
  isMarkActive,
  marks,
  orderedList,
  setHeading,
  setParagraph,
  shortcutLabel,
  shortcuts,
  toggleBold,
  toggleCode,
  toggleItalic,
  toggleQuote,
} from '../editor/commands.ts';

interface ToolbarProps {
  view: EditorView | null;
  onLink: () => void;
  onComment: () => void;
}

export function EditorToolbar({ view, onLink, onComment }: ToolbarProps) {
  const state = view?.state;
  const block = state ? activeBlock(state) : '';
  const run = (command: Command) => {
    if (!view) return;
    command(view.state, view.dispatch, view);
    view.focus();
  };
  const tool = (label: string, shortcut: string | undefined, icon: ReactNode, command: Command, pressed: boolean) => (
    <ToolButton label={label} shortcut={shortcut} pressed={pressed} onClick={() => run(command)} disabled={!view}>
      {icon}
    </ToolButton>
  );
  return (
    <div className="toolbar" role="toolbar" aria-label="Formatting">
      {tool('Paragraph', shortcuts['paragraph'], <Pilcrow aria-hidden size={16} />, setParagraph, block === 'paragraph')}
      {tool('Heading 1', shortcuts['heading1'], <Heading1 aria-hidden size={16} />, setHeading(1), block === 'heading1')}
      {tool('Heading 2', shortcuts['heading2'], <Heading2 aria-hidden size={16} />, setHeading(2), block === 'heading2')}
      {tool('Heading 3', shortcuts['heading3'], <Heading3 aria-hidden size={16} />, setHeading(3), block === 'heading3')}
      <span className="toolbar-gap" />
      {tool('Bold', shortcuts['bold'], <Bold aria-hidden size={16} />, toggleBold, !!state && isMarkActive(state, marks.strong))}
      {tool('Italic', shortcuts['italic'], <Italic aria-hidden size={16} />, toggleItalic, !!state && isMarkActive(state, marks.em))}
      {tool('Code', shortcuts['code'], <Code aria-hidden size={16} />, toggleCode, !!state && isMarkActive(state, marks.code))}
      <ToolButton
        label="Link"
        shortcut={shortcuts['link']}
        pressed={!!state && isMarkActive(state, marks.link)}
        onClick={onLink}
        disabled={!view || !!state?.selection.empty}
      >
        <Link aria-hidden size={16} />
      </ToolButton>
      <span className="toolbar-gap" />
      {tool('Bulleted list', shortcuts['bulletList'], <List aria-hidden size={16} />, bulletList, block === 'bullet_list')}
      {tool('Numbered list', shortcuts['orderedList'], <ListOrdered aria-hidden size={16} />, orderedList, block === 'ordered_list')}
      {tool('Quote', shortcuts['quote'], <TextQuote aria-hidden size={16} />, toggleQuote, block === 'blockquote')}
      <span className="toolbar-gap" />
      <button
        type="button"
        className="icon-button tool toolbar-comment"
        aria-label="Add a comment"
        title={`Add a comment on the selected text (${shortcutLabel(shortcuts['comment']!)})`}
        onMouseDown={(e) => e.preventDefault()}
        onClick={onComment}
        disabled={!view}
      >
        <MessageSquarePlus aria-hidden size={16} />
      </button>
    </div>
  );
}

interface ToolButtonProps {
  label: string;
  shortcut: string | undefined;
  pressed: boolean;
  disabled: boolean;
  onClick: () => void;
  children: ReactNode;
}

function ToolButton({ label, shortcut, pressed, disabled, onClick, children }: ToolButtonProps) {
  const title = shortcut ? `${label} (${shortcutLabel(shortcut)})` : label;
  return (
    <button
      type="button"
      className="icon-button tool"
      aria-label={label}
      aria-pressed={pressed}
      title={title}
      disabled={disabled}
      // Keep the editor's selection: the button acts on it.
      onMouseDown={(event) => event.preventDefault()}
      onClick={onClick}
    >
      {children}
    </button>
  );
}
