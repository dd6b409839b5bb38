/** A "more actions" menu button (Radix dropdown: arrow keys, typeahead, Escape). */
import * as Menu from '@radix-ui/react-dropdown-menu';
import { Ellipsis } from 'lucide-react';

export interface MenuAction {
  label: string;
  onSelect: () => void;
  danger?: boolean;
}

export function ItemMenu({ label, actions }: { label: string; actions: MenuAction[] }) {
  return (
    // Non-modal: a modal menu would lock scrolling with an injected <style>, which the CSP refuses.
    <Menu.Root modal={false}>
      <Menu.Trigger className="icon-button item-menu-trigger" aria-label={label}>
        <Ellipsis aria-hidden size={16} />
      </Menu.Trigger>
      <Menu.Portal>
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
