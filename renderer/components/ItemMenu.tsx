/** A "more actions" menu button (Radix dropdown: arrow keys, typeahead, Escape). */
import { useRef, useState } from 'react';
import * as Menu from '@radix-ui/react-dropdown-menu';
import { Ellipsis } from 'lucide-react';

export interface MenuAction {
  label: string;
  onSelect: () => void;
  danger?: boolean;
}

export function ItemMenu({ label, actions }: { label: string; actions: MenuAction[] }) {
  const trigger = useRef<HTMLButtonElement>(null);
  // Opened inside a modal <dialog>, the menu must render inside that dialog: the dialog sits in
  // the top layer and makes the rest of the page inert, so a menu portalled to <body> would be
  // drawn behind it and could be neither seen nor clicked nor focused.
  const [container, setContainer] = useState<HTMLElement | null>(null);
  return (
    // Non-modal: a modal menu would lock scrolling with an injected <style>, which the CSP refuses.
    <Menu.Root modal={false} onOpenChange={(open) => open && setContainer(trigger.current?.closest('dialog') ?? null)}>
      <Menu.Trigger ref={trigger} className="icon-button item-menu-trigger" aria-label={label}>
        <Ellipsis aria-hidden size={16} />
      </Menu.Trigger>
      <Menu.Portal container={container}>
        <Menu.Content className="menu" align="end" sideOffset={4}>
          {actions.map((action) => (
            <Menu.Item key={action.label} className={action.danger ? 'menu-item menu-item-danger' : 'menu-item'} onSelect={action.onSelect}>
              {action.label}
            </Menu.Item>
          ))}
        </Menu.Content>
      </Menu.Portal>
    </Menu.Root>
  );
}
