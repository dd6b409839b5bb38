/**
 * Settings → Danger Zone: wipe this device, delete the account. Each asks for the username typed
 * exactly as shown (main checks it again); the button stays disabled until it matches.
 */
import { useState, type FormEvent } from 'react';
import { askSecurityKey } from '../../security/security-key.ts';
import { call, hearth } from '../../state/api.ts';
import { useSession } from '../../state/session.ts';
import { Modal } from '../Modal.tsx';
import { DialogActions, Field, FormError, useSubmit } from '../Field.tsx';

type Action = 'wipe' | 'delete';

export function DangerZone() {
  const [open, setOpen] = useState<Action | null>(null);
  return (
    <div className="settings-stack">
      <div className="form danger-zone">
        <h3>Danger Zone</h3>
        <p className="muted">These cannot be undone. Write an encrypted backup first (Your data) if you may want your documents again.</p>
        <div className="danger-item">
          <div>
            <h4>Wipe this device</h4>
            <p className="muted">Destroys the keys, then every vault file on this computer. Your account on relays and team workspaces stay as they are.</p>
          </div>
          <button type="button" className="button button-danger" onClick={() => setOpen('wipe')}>
            Wipe this device…
          </button>
        </div>
        <div className="danger-item">
          <div>
            <h4>Delete account</h4>
            <p className="muted">Deletes your account on every relay you use, then wipes this device.</p>
          </div>
          <button type="button" className="button button-danger" onClick={() => setOpen('delete')}>
            Delete account…
          </button>
        </div>
      </div>
      {open ? <ConfirmByUsername action={open} onClose={() => setOpen(null)} /> : null}
    </div>
  );
}

const texts: Record<Action, { title: string; consequences: string[]; button: string; busy: string }> = {
  wipe: {
    title: 'Wipe this device',
    consequences: [
      'The keys of your vault are destroyed first, then every vault file on this computer is overwritten and removed.',
      'All documents, comments and files that exist only on this device are gone. Team workspaces keep their copy on the relay.',
      'Hearth then starts over at its welcome screen.',
    ],
    button: 'Wipe this device',
    busy: 'Wiping…',
  },
  delete: {
    title: 'Delete account',
    consequences: [
      'Your account is deleted on every relay you use. Team workspaces where you are the only owner are deleted with everything in them.',
      'In workspaces shared with others, what you wrote stays for them, shown as written by a deleted user; they stop sharing new keys with you.',
      'Then this device is wiped: every document, comment and file on it is destroyed, and you are signed out at once.',
    ],
    button: 'Delete my account',
    busy: 'Deleting…',
  },
};

function ConfirmByUsername({ action, onClose }: { action: Action; onClose: () => void }) {
  const username = useSession((s) => s.profile?.username ?? '');
  const [typed, setTyped] = useState('');
  const { busy, problem, setProblem, run } = useSubmit();
  const text = texts[action];
  const matches = typed === username && username !== '';
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!matches) {
      setProblem(`That is not your username. Type ${username} exactly as shown, with the same capitals.`);
      return;
    }
    await run(async () => {
      if (action === 'wipe') await call(hearth().wipeDevice(typed));
      else {
        // With a second factor enrolled, deleting the account needs the security key too.
        const factor = await call(hearth().secondFactor());
        const proof = factor ? await askSecurityKey({ prfSalt: factor.prfSalt, credentialIds: factor.credentials.map((c) => c.id) }) : undefined;
        await call(proof ? hearth().deleteAccount(typed, proof) : hearth().deleteAccount(typed));
      }
      // Main tells every page `wiped`; this page also goes to the welcome screen at once.
      useSession.setState({ phase: 'no-vault', profile: null, lockedReason: null });
    });
  };
  return (
    <Modal title={text.title} description="This cannot be undone." onClose={busy ? () => undefined : onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <ul className="consequences">
          {text.consequences.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
        <Field
          label={
            <>
              To confirm, type your username <strong className="confirm-username">{username}</strong>
            </>
          }
        >
          <input
            value={typed}
            onChange={(e) => {
              setTyped(e.target.value);
              setProblem(null);
            }}
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            aria-invalid={typed.length > 0 && !matches}
            data-autofocus
          />
        </Field>
        {typed.length > 0 && !matches && !problem ? <p className="field-hint field-hint-error">Not yet: it must match exactly, with the same capitals.</p> : null}
        <FormError problem={problem} />
        <DialogActions onCancel={onClose} cancelDisabled={busy} actionLabel={text.button} busyLabel={text.busy} busy={busy} disabled={!matches} danger />
      </form>
    </Modal>
  );
}
