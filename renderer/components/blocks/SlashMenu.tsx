/**
 * The "/" menu's list, drawn under the "/" the person typed. The editor keeps focus (its keys
 * move the highlight: renderer/editor/slashMenu.ts); the list says which item is highlighted to
 * assistive technology through aria-activedescendant on the editor, and can be clicked.
 */
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import type { EditorView } from 'prosemirror-view';
import { chooseSlashItem, type SlashMenuState } from '../../editor/slashMenu.ts';

interface SlashMenuProps {
  view: EditorView;
  menu: SlashMenuState;
  onImage: () => void;
}

export function SlashMenu({ view, menu, onImage }: SlashMenuProps) {
  const listId = useId();
  const list = useRef<HTMLUListElement>(null);
  const [place, setPlace] = useState<{ left: number; top: number } | null>(null);
  const optionId = (index: number) => `${listId}-option-${index}`;

  useLayoutEffect(() => {
    const coords = view.coordsAtPos(menu.from);
    const host = view.dom.closest('.editor-frame')?.getBoundingClientRect();
    if (!host) return;
    setPlace({ left: coords.left - host.left, top: coords.bottom - host.top + 4 });
  }, [view, menu.from]);

  useEffect(() => {
    const dom = view.dom;
    dom.setAttribute('aria-controls', listId);
    dom.setAttribute('aria-activedescendant', optionId(menu.index));
    return () => {
      dom.removeAttribute('aria-controls');
      dom.removeAttribute('aria-activedescendant');
    };
  });

  useEffect(() => {
    list.current?.querySelector(`[aria-selected="true"]`)?.scrollIntoView({ block: 'nearest' });
  }, [menu.index]);

  return (
    <ul
      ref={list}
      id={listId}
      role="listbox"
      aria-label="Insert a block"
      className="slash-menu"
      style={place ? { left: place.left, top: place.top } : { visibility: 'hidden' }}
    >
      {menu.matches.map((item, index) => (
        <li
          key={item.id}
          id={optionId(index)}
          role="option"
          aria-selected={index === menu.index}
          className="slash-item"
          onMouseDown={(event) => {
            event.preventDefault();
            chooseSlashItem(view, item, onImage);
          }}
        >
          <span className="slash-label">{item.label}</span>
          <span className="slash-hint">{item.hint}</span>
        </li>
      ))}
    </ul>
  );
}
