/** The vault session: whether a vault exists, whether it is unlocked, the profile and settings. */
import { create } from 'zustand';
import type { Profile, SavedProfile, SecondFactorProofArg, Settings } from '../../common/api/contract.ts';
import { resendParked } from '../editor/unsent.ts';
import { call, hearth, messageOf } from './api.ts';
import { useUi } from './ui.ts';

export type SessionPhase = 'connecting' | 'unreachable' | 'no-vault' | 'locked' | 'unlocked';

interface SessionState {
  phase: SessionPhase;
  profile: Profile | null;
  settings: Settings;
  /** Why the vault last locked itself, to tell the user on the unlock screen. */
  lockedReason: 'idle' | 'user' | null;
  problem: string | null;
  load(): Promise<void>;
  createVault(input: { passphrase: string; username: string; displayName: string; avatar?: string }): Promise<void>;
  /** With `proof` of the second factor when the vault has one; `proof` alone: stay unlocked with a security key. */
  unlock(passphrase: string | null, proof?: SecondFactorProofArg): Promise<void>;
  lock(): Promise<void>;
  wasLocked(reason: 'idle' | 'user'): void;
  changePassphrase(current: string, next: string): Promise<void>;
  /** Saves the profile; says where it went (each relay: updated, waiting while offline, or refused). */
  updateProfile(patch: { username?: string; displayName?: string; avatar?: string | null }): Promise<SavedProfile>;
  updateSettings(patch: Partial<Settings>): Promise<void>;
}

const defaultSettings: Settings = { autoLockMinutes: 15, theme: 'system', stayUnlocked: false };

export const useSession = create<SessionState>()((set, get) => ({
  phase: 'connecting',
  profile: null,
  settings: defaultSettings,
  lockedReason: null,
  problem: null,

  async load() {
    try {
      const status = await call(hearth().status());
      set({ phase: status.state, profile: status.profile, problem: null });
      if (status.state === 'unlocked') await loadSettings();
    } catch (error) {
      set({ phase: 'unreachable', problem: messageOf(error) });
    }
  },

  async createVault(input) {
    const profile = await call(hearth().createVault(input));
    set({ phase: 'unlocked', profile, lockedReason: null });
    await loadSettings();
  },

  async unlock(passphrase, proof) {
    const profile =
      passphrase === null && proof?.kind === 'key'
        ? await call(hearth().unlockWithSecurityKey(proof))
        : // No second argument at all without a proof: the wire has no `undefined`, and null is not a proof.
          await call(proof ? hearth().unlock(passphrase ?? '', proof) : hearth().unlock(passphrase ?? ''));
    // Edits the lock caught on their way go to their documents before any document opens again.
    await sendUnsentEdits();
    set({ phase: 'unlocked', profile, lockedReason: null });
    await loadSettings();
  },

  async lock() {
    await call(hearth().lock());
    get().wasLocked('user');
  },

  wasLocked(reason) {
    set({ phase: 'locked', lockedReason: reason });
  },

  async changePassphrase(current, next) {
    await call(hearth().changePassphrase(current, next));
  },

  async updateProfile(patch) {
    const saved = await call(hearth().updateProfile(patch));
    const { relays: _relays, directoriesNotUpdated: _directories, ...profile } = saved;
    set({ profile });
    return saved;
  },

  async updateSettings(patch) {
    // Shown at once (a theme switch should not wait for the disk), put back if main refuses.
    const before = get().settings;
    set({ settings: { ...before, ...patch } });
    try {
      const settings = await call(hearth().updateSettings(patch));
      set({ settings });
    } catch (error) {
      set({ settings: before });
      throw error;
    }
  },
}));

async function sendUnsentEdits(): Promise<void> {
  const { refused } = await resendParked((documentId, changes) => hearth().applyChanges(documentId, changes));
  for (const { message } of refused) useUi.getState().notify(`Edits made before the vault locked could not be saved: ${message}`);
}

async function loadSettings(): Promise<void> {
  try {
    const settings = await call(hearth().getSettings());
    useSession.setState({ settings });
  } catch {
    // The defaults serve until settings can be read; the settings dialog shows its own errors.
  }
}
