/** Settings: profile, passphrase change, auto-lock, devices, theme; your data, privacy, the audit log and the Danger Zone (in settings/). */
import { useState, type FormEvent } from 'react';
import type { Settings } from '../../common/api/contract.ts';
import { ApiFailure, messageOf } from '../state/api.ts';
import { useSession } from '../state/session.ts';
import { Modal } from './Modal.tsx';
import { AuditLog } from './settings/AuditLog.tsx';
import { DangerZone } from './settings/DangerZone.tsx';
import { DevicesSettings } from './settings/DevicesSettings.tsx';
import { PrivacySettings } from './settings/PrivacySettings.tsx';
import { ProfileSettings } from './settings/ProfileSettings.tsx';
import { SecondFactorSettings } from './settings/SecondFactor.tsx';
import { RecoveryKeySettings } from './settings/RecoveryKey.tsx';
import { YourDataSettings } from './settings/YourDataSettings.tsx';
import { passphraseStrength } from './passphraseStrength.ts';

type Tab = 'profile' | 'security' | 'devices' | 'appearance' | 'data' | 'privacy' | 'audit' | 'danger';
const tabs: Array<{ id: Tab; label: string }> = [
  { id: 'profile', label: 'Profile' },
  { id: 'security', label: 'Security' },
  { id: 'devices', label: 'Devices' },
  { id: 'appearance', label: 'Appearance' },
  { id: 'data', label: 'Your data' },
  { id: 'privacy', label: 'Privacy' },
  { id: 'audit', label: 'Audit log' },
  { id: 'danger', label: 'Danger Zone' },
];

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const [tab, setTab] = useState<Tab>('profile');
  return (
    <Modal title="Settings" onClose={onClose} wide>
      <div className="settings">
        <div role="tablist" aria-label="Settings sections" aria-orientation="vertical" className="settings-tabs">
          {tabs.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`settings-tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`settings-panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              className="settings-tab"
              onClick={() => setTab(t.id)}
              onKeyDown={(e) => {
                const index = tabs.findIndex((x) => x.id === tab);
                const step = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : 0;
                if (!step) return;
                e.preventDefault();
                const next = tabs[(index + step + tabs.length) % tabs.length]!;
                setTab(next.id);
                document.getElementById(`settings-tab-${next.id}`)?.focus();
              }}
            >
              {t.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`settings-panel-${tab}`} aria-labelledby={`settings-tab-${tab}`} className="settings-panel">
          {tab === 'profile' ? <ProfileSettings /> : null}
          {tab === 'security' ? <SecuritySettings /> : null}
          {tab === 'devices' ? <DevicesSettings /> : null}
          {tab === 'appearance' ? <AppearanceSettings /> : null}
          {tab === 'data' ? <YourDataSettings /> : null}
          {tab === 'privacy' ? <PrivacySettings onShowAudit={() => setTab('audit')} /> : null}
          {tab === 'audit' ? <AuditLog /> : null}
          {tab === 'danger' ? <DangerZone /> : null}
        </div>
      </div>
    </Modal>
  );
}

function useSaved() {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const view = message ? (
    <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'form-ok' : 'form-error'}>
      {message.text}
    </p>
  ) : null;
  return { view, ok: (text: string) => setMessage({ ok: true, text }), fail: (text: string) => setMessage({ ok: false, text }) };
}

function SecuritySettings() {
  const { settings, changePassphrase, updateSettings } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [minutes, setMinutes] = useState(String(settings.autoLockMinutes));
  const passphraseSaved = useSaved();
  const lockSaved = useSaved();
  const stayUnlockedSaved = useSaved();
  const strength = passphraseStrength(next);

  const submitPassphrase = async (event: FormEvent) => {
    event.preventDefault();
    if (next.length < 8) return passphraseSaved.fail('Choose a new passphrase of at least 8 characters.');
    if (next !== confirmation) return passphraseSaved.fail('The two new passphrases differ. Type the same one twice.');
    try {
      await changePassphrase(current, next);
      setCurrent('');
      setNext('');
      setConfirmation('');
      passphraseSaved.ok('Passphrase changed. Use the new one from now on.');
    } catch (error) {
      passphraseSaved.fail(
        error instanceof ApiFailure && error.code === 'WRONG_PASSPHRASE' ? 'The current passphrase is not right; nothing was changed.' : messageOf(error),
      );
    }
  };
  const submitAutoLock = async (event: FormEvent) => {
    event.preventDefault();
    const value = Number(minutes);
    if (!Number.isInteger(value) || value < 0 || value > 1440) return lockSaved.fail('Type a whole number of minutes from 0 to 1440.');
    try {
      await updateSettings({ autoLockMinutes: value });
      lockSaved.ok(value === 0 ? 'Hearth will not lock by itself.' : `Hearth locks after ${value} minute${value === 1 ? '' : 's'} without use.`);
    } catch (error) {
      lockSaved.fail(messageOf(error));
    }
  };
  const toggleStayUnlocked = async (on: boolean) => {
    try {
      await updateSettings({ stayUnlocked: on });
      stayUnlockedSaved.ok(
        on ? 'Hearth stays unlocked on this device; the key is kept by the system keychain.' : 'Hearth asks for the passphrase each time it starts.',
      );
    } catch (error) {
      stayUnlockedSaved.fail(messageOf(error));
    }
  };
  return (
    <div className="settings-stack">
      <div className="form">
        <h3>This device</h3>
        <label className="checkbox">
          <input type="checkbox" checked={settings.stayUnlocked === true} onChange={(e) => void toggleStayUnlocked(e.target.checked)} />
          Stay unlocked on this device
        </label>
        <p className="field-hint">Anyone who can use this computer account can then open your documents. Off by default.</p>
        {stayUnlockedSaved.view}
      </div>
      <SecondFactorSettings />
      <RecoveryKeySettings />
      <form className="form" onSubmit={(e) => void submitPassphrase(e)}>
        <h3>Change passphrase</h3>
        <label className="field">
          <span>Current passphrase</span>
          <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
        </label>
        <label className="field">
          <span>New passphrase</span>
          <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
        </label>
        {next ? (
          <p className="field-hint">
            <strong>{strength.label}.</strong> {strength.hint}
          </p>
        ) : null}
        <label className="field">
          <span>Confirm new passphrase</span>
          <input type="password" autoComplete="new-password" value={confirmation} onChange={(e) => setConfirmation(e.target.value)} />
        </label>
        {passphraseSaved.view}
        <button type="submit" className="button button-primary">
          Change passphrase
        </button>
      </form>
      <form className="form" onSubmit={(e) => void submitAutoLock(e)}>
        <h3>Auto-lock</h3>
        <label className="field">
          <span>Lock after this many minutes without use (0 = never)</span>
          <input type="number" min={0} max={1440} step={1} value={minutes} onChange={(e) => setMinutes(e.target.value)} />
        </label>
        {lockSaved.view}
        <button type="submit" className="button button-primary">
          Save auto-lock
        </button>
      </form>
    </div>
  );
}

function AppearanceSettings() {
  const { settings, updateSettings } = useSession();
  const saved = useSaved();
  const choose = async (theme: Settings['theme']) => {
    try {
      await updateSettings({ theme });
    } catch (error) {
      saved.fail(messageOf(error));
    }
  };
  return (
    <fieldset className="form theme-choice">
      <legend>
        <h3>Theme</h3>
      </legend>
      {(
        [
          ['system', 'Follow the system'],
          ['light', 'Light'],
          ['dark', 'Dark'],
        ] as const
      ).map(([value, label]) => (
        <label key={value} className="radio">
          <input type="radio" name="theme" value={value} checked={settings.theme === value} onChange={() => void choose(value)} />
          {label}
        </label>
      ))}
      {saved.view}
    </fieldset>
  );
}
