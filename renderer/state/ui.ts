/** Which app-wide dialog is open, and short notices for the live region. */
import { create } from 'zustand';

export type AppDialog = 'search' | 'settings' | null;

interface Notice {
  id: number;
  text: string;
}

interface UiState {
  dialog: AppDialog;
  notices: Notice[];
  openDialog(dialog: AppDialog): void;
  notify(text: string): void;
  dismiss(id: number): void;
}

let nextNotice = 1;

export const useUi = create<UiState>()((set, get) => ({
  dialog: null,
  notices: [],
  openDialog(dialog) {
    set({ dialog });
  },
  notify(text) {
    const id = nextNotice++;
    set({ notices: [...get().notices, { id, text }] });
    setTimeout(() => get().dismiss(id), 8000);
  },
  dismiss(id) {
    set({ notices: get().notices.filter((n) => n.id !== id) });
  },
}));
