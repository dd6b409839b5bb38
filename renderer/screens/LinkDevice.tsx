/**
 * First run, "I already have an account": a passphrase for this device's vault, the relay and the
 * username; then the code to compare with the device that approves, and the main screen with the
 * account's workspaces once it did. A failure says what went wrong and keeps the form: trying
 * again works (main removes the empty vault a failed attempt made).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { isUsername, USERNAME_RULE } from '../../common/username.ts';
import { spacedCode } from '../components/settings/DevicesSettings.tsx';
import { Field, FormError } from '../components/Field.tsx';
import { ApiFailure, call, hearth, messageOf } from '../state/api.ts';
import { useSession } from '../state/session.ts';

/** The failure in words that say what to do next; nothing was stored in any case. */
function problemText(error: unknown): string {
  if (!(error instanceof ApiFailure)) return messageOf(error);
  switch (error.code) {
    case 'WRONG_PASSPHRASE':
      return 'That is not the passphrase this device’s vault was made with on the first try. Type that one again.';
    case 'EXPIRED':
      return 'No device of your account answered in time. Open Settings → Devices → Link a new device… on one, then try again here.';
    default:
      return messageOf(error);
  }
}

export function LinkDevice({ onCancel }: { onCancel: () => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [relay, setRelay] = useState('');
  const [username, setUsername] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [code, setCode] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => setProblem(null), [passphrase, confirmation, relay, username, name]);
  useEffect(() => hearth().on('deviceLinkCode', (event) => setCode(event.code)), []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (passphrase.length < 8) return setProblem('Choose a passphrase of at least 8 characters for this device’s vault.');
    if (passphrase !== confirmation) return setProblem('The two passphrases differ. Type the same passphrase twice.');
    if (!/^wss?:\/\/\S+$/.test(relay.trim())) return setProblem('Type the relay address your account is on; it starts with wss:// (or ws://).');
    if (!isUsername(username)) return setProblem(USERNAME_RULE);
    setBusy(true);
    setCode(null);
    setProblem(null);
    try {
      const linked = await call(hearth().linkDevice({ passphrase, relay: relay.trim(), username, ...(name.trim() ? { name: name.trim() } : {}) }));
      useSession.setState({ phase: 'unlocked', profile: linked.profile, lockedReason: null });
      await useSession.getState().load();
    } catch (error) {
      setProblem(problemText(error));
      setBusy(false);
      setCode(null);
    }
  };

  if (busy)
    return (
      <main className="gate">
        <section className="gate-card form" aria-labelledby="link-wait-title">
          <h1 id="link-wait-title">{code ? 'Compare the code' : 'Waiting for your other device'}</h1>
          {code ? (
            <>
              <p>Your other device shows a code too. Approve there only if it is this one:</p>
              <p className="pairing-code" role="status">
                {spacedCode(code)}
              </p>
              <p className="muted">If the codes differ, decline there: nothing is stored, and you can start again.</p>
            </>
          ) : (
            <>
              <p role="status">
                Asked <strong>{username}</strong> on <code className="path">{relay.trim()}</code> to add this device.
              </p>
              <p className="muted">On a device that holds your account, open Settings → Devices → Link a new device… A code appears here once it answers.</p>
            </>
          )}
        </section>
      </main>
    );

  return (
    <main className="gate">
      <form className="gate-card form" onSubmit={(e) => void submit(e)} aria-labelledby="link-title" noValidate>
        <h1 id="link-title">Use your account on this device</h1>
        <p className="muted">
          A device that already holds your account approves this one. Your account’s keys then come here end-to-end encrypted; the relay sees only ciphertext.
        </p>
        <Field label="Passphrase for this device">
          <input type="password" autoComplete="new-password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoFocus />
        </Field>
        <Field label="Confirm passphrase">
          <input type="password" autoComplete="new-password" value={confirmation} onChange={(e) => setConfirmation(e.target.value)} />
        </Field>
        <Field label="Relay address">
          <input value={relay} onChange={(e) => setRelay(e.target.value)} placeholder="wss://relay.example.org" autoComplete="url" spellCheck={false} />
        </Field>
        <Field label="Username">
          <input value={username} onChange={(e) => setUsername(e.target.value.toLowerCase())} autoComplete="username" maxLength={32} spellCheck={false} />
        </Field>
        <Field label="Name of this device (optional)">
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={64} placeholder="Laptop" />
        </Field>
        <FormError problem={problem} />
        <button type="submit" className="button button-primary button-wide">
          Ask to add this device
        </button>
        <button type="button" className="button button-wide" onClick={onCancel}>
          Back: create a new vault instead
        </button>
      </form>
    </main>
  );
}
