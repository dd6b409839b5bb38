/**
 * Settings → Profile: display name, username and avatar. Saving changes them here and sends them,
 * signed, to every relay the account is on and into its team directories; the screen then says
 * where the change went and where it waits for a relay that is offline (it goes when that relay
 * can be reached again).
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { SavedProfile } from '../../../common/api/contract.ts';
import { isUsername, USERNAME_RULE } from '../../../common/username.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { useSession } from '../../state/session.ts';
import { AvatarPicker } from '../Avatar.tsx';
import { FormError } from '../Field.tsx';

/** One line per relay, and one per workspace whose member list a role keeps the old profile in; `done`: nothing left to do about it. */
function whereItWent(saved: SavedProfile): Array<{ text: string; done: boolean }> {
  if (saved.relays.length === 0) return [{ text: 'Your account is on no relay yet: the profile is on this device only.', done: true }];
  const lines = saved.relays.map(({ relay, state, problem }) =>
    state === 'updated'
      ? { text: `Sent to ${relay} and your team workspaces there.`, done: true }
      : state === 'waiting'
        ? { text: `Waits for relay ${relay}, offline: it goes when the relay can be reached again.`, done: false }
        : { text: `Refused by ${relay}: ${problem ?? 'no reason given.'}`, done: false },
  );
  for (const name of saved.directoriesNotUpdated)
    lines.push({ text: `${name} keeps your old profile in its member list: a Commenter or Viewer cannot change it there.`, done: false });
  return lines;
}

export function ProfileSettings() {
  const { profile, updateProfile } = useSession();
  const [displayName, setDisplayName] = useState(profile?.displayName ?? '');
  const [username, setUsername] = useState(profile?.username ?? '');
  const [avatar, setAvatar] = useState<string | null>(profile?.avatar ?? null);
  const [saved, setSaved] = useState<SavedProfile | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Before any save here: a change made earlier that a relay has not got yet.
  const [waiting, setWaiting] = useState<string[]>([]);
  useEffect(() => {
    let cancelled = false;
    call(hearth().profileDelivery()).then(
      (relays) => !cancelled && setWaiting(relays.filter((r) => r.state === 'waiting').map((r) => r.relay)),
      () => undefined, // nothing to say
    );
    return () => {
      cancelled = true;
    };
  }, [saved]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    if (!displayName.trim()) return setProblem('Type the name people will see.');
    const nextUsername = username.trim();
    if (!isUsername(nextUsername)) return setProblem(USERNAME_RULE);
    setProblem(null);
    setBusy(true);
    try {
      setSaved(await updateProfile({ displayName: displayName.trim(), avatar, ...(nextUsername !== profile?.username ? { username: nextUsername } : {}) }));
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)}>
      <h3>Profile</h3>
      <label className="field">
        <span>Display name</span>
        <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={64} />
      </label>
      <label className="field">
        <span>Username</span>
        <input
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          maxLength={32}
          spellCheck={false}
          autoCapitalize="off"
          aria-describedby="profile-username-hint"
        />
        <small id="profile-username-hint" className="muted">
          How people find you to invite you. It must be free on each relay; your old one is freed at once.
        </small>
      </label>
      <AvatarPicker name={displayName} value={avatar} onChange={setAvatar} />
      <FormError problem={problem} />
      {!saved && waiting.length > 0 ? (
        <ul className="profile-delivery" aria-label="Where your profile waits">
          {waiting.map((relay) => (
            <li key={relay} className="profile-waits">
              Your last change waits for relay {relay}: it goes when the relay can be reached again.
            </li>
          ))}
        </ul>
      ) : null}
      {saved ? (
        <div role="status" className="profile-delivery">
          <p className="form-ok">Profile saved on this device.</p>
          <ul aria-label="Where your profile went">
            {whereItWent(saved).map(({ text, done }) => (
              <li key={text} className={done ? 'form-ok' : 'profile-waits'}>
                {text}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Saving…' : 'Save profile'}
      </button>
    </form>
  );
}
