/**
 * Settings → Danger Zone: wipe this device, delete the account. Each asks for the username typed
 * exactly as shown (main checks it again); the button stays disabled until it matches. Deleting
 * the account first asks each relay it is on whether it answers: one that does not is named, and
 * the deletion goes ahead without it only once the person ticked that it is gone for good. Both
 * list the exports and backups this app wrote (where, how big), each with a box, unticked: a
 * person may keep an export on purpose; the dialog says which stay on this computer.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ApiResults, LocalCopy } from '../../../common/api/contract.ts';
import { formatSize } from '../format.ts';
import { askSecurityKey } from '../../security/security-key.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
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
      'All documents, comments and files that exist only on this device are gone. Team workspaces keep their copy on the relay. Exports and backups this app wrote are outside the vault: they stay unless you tick them below.',
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
      'Then this device is wiped: every document, comment and file in its vault is destroyed, and you are signed out at once. Exports and backups this app wrote are outside the vault: they stay unless you tick them below.',
    ],
    button: 'Delete my account',
    busy: 'Deleting…',
  },
};

type RelayCheck = ApiResults['describeAccountDeletion']['relays'];

/**
 * For account deletion: the relays the account is on and which answer now (null while asking),
 * the ones the person ticked as gone for good, and a way to ask again.
 */
function useRelayCheck(active: boolean) {
  const [relays, setRelays] = useState<RelayCheck | null>(active ? null : []);
  const [checkProblem, setCheckProblem] = useState<string | null>(null);
  const [skipped, setSkipped] = useState<ReadonlySet<string>>(new Set());
  const check = useCallback(async () => {
    if (!active) return;
    setRelays(null);
    setCheckProblem(null);
    try {
      setRelays((await call(hearth().describeAccountDeletion())).relays);
    } catch (error) {
      setRelays([]);
      setCheckProblem(messageOf(error));
    }
  }, [active]);
  useEffect(() => {
    void check();
  }, [check]);
  const unreachable = (relays ?? []).filter((r) => !r.reachable);
  const toggle = (url: string, on: boolean) => setSkipped((now) => (on ? new Set([...now, url]) : new Set([...now].filter((u) => u !== url))));
  return { relays, unreachable, checkProblem, skipped, toggle, check, settled: relays !== null && unreachable.every((r) => skipped.has(r.url)) };
}

/** The exports and backups this app wrote that are still on disk (null while asking), and the ones ticked to erase too. */
function useLocalCopies() {
  const [copies, setCopies] = useState<LocalCopy[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    let cancelled = false;
    call(hearth().localCopies()).then(
      (found) => !cancelled && setCopies(found),
      (error: unknown) => {
        if (cancelled) return;
        setCopies([]);
        setProblem(messageOf(error));
      },
    );
    return () => {
      cancelled = true;
    };
  }, []);
  const toggle = (path: string, on: boolean) => setChosen((now) => (on ? new Set([...now, path]) : new Set([...now].filter((p) => p !== path))));
  return { copies, problem, chosen, toggle };
}

function ConfirmByUsername({ action, onClose }: { action: Action; onClose: () => void }) {
  const username = useSession((s) => s.profile?.username ?? '');
  const [typed, setTyped] = useState('');
  const { busy, problem, setProblem, run } = useSubmit();
  const relayCheck = useRelayCheck(action === 'delete');
  const copies = useLocalCopies();
  const text = texts[action];
  const matches = typed === username && username !== '';
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!matches) {
      setProblem(`That is not your username. Type ${username} exactly as shown, with the same capitals.`);
      return;
    }
    if (!relayCheck.settled) {
      setProblem('A relay your account is on does not answer: tick that it is gone for good to delete without it, or check again.');
      return;
    }
    const skipRelays = relayCheck.unreachable.map((r) => r.url).filter((url) => relayCheck.skipped.has(url));
    const eraseCopies = [...copies.chosen];
    const done = await run(async () => {
      if (action === 'wipe') await call(eraseCopies.length > 0 ? hearth().wipeDevice(typed, { eraseCopies }) : hearth().wipeDevice(typed));
      else {
        // With a second factor enrolled, deleting the account needs the security key too.
        const factor = await call(hearth().secondFactor());
        const secondFactor = factor ? await askSecurityKey({ prfSalt: factor.prfSalt, credentialIds: factor.credentials.map((c) => c.id) }) : undefined;
        const options = {
          ...(skipRelays.length > 0 ? { skipRelays } : {}),
          ...(secondFactor ? { secondFactor } : {}),
          ...(eraseCopies.length > 0 ? { eraseCopies } : {}),
        };
        // (No second argument at all when there are no options: over the wire an undefined one would arrive as null.)
        await call(Object.keys(options).length > 0 ? hearth().deleteAccount(typed, options) : hearth().deleteAccount(typed));
      }
      // Main tells every page `wiped`; this page also goes to the welcome screen at once.
      useSession.setState({ phase: 'no-vault', profile: null, lockedReason: null });
    });
    // A relay may have gone away since the check: show which, so it can be named and skipped.
    if (!done && action === 'delete') void relayCheck.check();
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
        {typed.length > 0 && !matches && !problem ? (
          <p className="field-hint field-hint-error">Not yet: it must match exactly, with the same capitals.</p>
        ) : null}
        <LocalCopies state={copies} busy={busy} />
        {action === 'delete' ? <UnreachableRelays check={relayCheck} busy={busy} /> : null}
        <FormError problem={problem} />
        <DialogActions
          onCancel={onClose}
          cancelDisabled={busy}
          actionLabel={text.button}
          busyLabel={text.busy}
          busy={busy}
          disabled={!matches || !relayCheck.settled}
          danger
        />
      </form>
    </Modal>
  );
}

const copyKinds: Record<LocalCopy['kind'], string> = { export: 'Export (plain text)', backup: 'Encrypted backup', audit: 'Audit log export' };

/** The copies this app wrote outside the vault, each with a box to erase it too (unticked), and what stays. */
function LocalCopies({ state, busy }: { state: ReturnType<typeof useLocalCopies>; busy: boolean }) {
  if (state.copies === null) return <p className="muted">Looking for exports and backups this app wrote…</p>;
  if (state.problem) return <p className="field-hint field-hint-error">The exports and backups this app wrote could not be listed: {state.problem}</p>;
  if (state.copies.length === 0) return <p className="muted">No export or backup this app wrote is left on this computer.</p>;
  const staying = state.copies.filter((c) => !state.chosen.has(c.path));
  return (
    <div className="leave-device local-copies" role="group" aria-labelledby="local-copies-heading">
      <h3 id="local-copies-heading">Exports and backups this app wrote</h3>
      <p>They are outside the vault, so the wipe does not reach them. Tick those to erase too (overwritten, then removed); keep the others if you want them.</p>
      <ul>
        {state.copies.map((copy) => (
          <li key={copy.path}>
            <label className="checkbox">
              <input type="checkbox" checked={state.chosen.has(copy.path)} disabled={busy} onChange={(e) => state.toggle(copy.path, e.target.checked)} />
              <span>
                Erase <strong>{copy.path}</strong> ({copyKinds[copy.kind]}, {formatSize(copy.bytes)})
              </span>
            </label>
          </li>
        ))}
      </ul>
      <p className="field-hint" aria-live="polite">
        {staying.length === 0
          ? 'None of them stays on this computer.'
          : `${staying.length === 1 ? '1 stays' : `${staying.length} stay`} on this computer, readable by whoever opens ${staying.length === 1 ? 'it' : 'them'}${staying.some((c) => c.kind === 'backup') ? ' (a backup needs its passphrase)' : ''}.`}
      </p>
    </div>
  );
}

/** The relays that do not answer, each named with a box to tick if it is gone for good; or that they are being asked. */
function UnreachableRelays({ check, busy }: { check: ReturnType<typeof useRelayCheck>; busy: boolean }) {
  if (check.relays === null) return <p className="muted">Asking the relays your account is on…</p>;
  if (check.checkProblem) return <p className="field-hint field-hint-error">The relays could not be asked: {check.checkProblem}</p>;
  if (check.unreachable.length === 0) return null;
  return (
    <div className="leave-device unreachable-relays" role="group" aria-labelledby="unreachable-relays-heading">
      <h3 id="unreachable-relays-heading">{check.unreachable.length === 1 ? 'A relay does not answer' : 'Relays that do not answer'}</h3>
      <p>Your account cannot be deleted there now. Try again later; or, if a relay is gone for good, skip it: whatever it still holds about you stays there.</p>
      <ul>
        {check.unreachable.map((relay) => (
          <li key={relay.url}>
            <label className="checkbox">
              <input type="checkbox" checked={check.skipped.has(relay.url)} disabled={busy} onChange={(e) => check.toggle(relay.url, e.target.checked)} />
              <span>
                Skip <strong>{relay.url}</strong>: it is gone for good
              </span>
            </label>
            {relay.problem ? <span className="field-hint">{relay.problem}</span> : null}
          </li>
        ))}
      </ul>
      <button type="button" className="button button-small" disabled={busy} onClick={() => void check.check()}>
        Check again
      </button>
    </div>
  );
}
