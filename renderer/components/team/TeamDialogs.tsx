/**
 * Making team workspaces: a new one on a relay (registering this vault there if needed), and
 * turning a personal workspace into a team one only after saying what will leave the device.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { TeamConversion, Workspace } from '../../../common/api/contract.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { useLibrary } from '../../state/library.ts';
import { useTeam } from '../../state/team.ts';
import { Modal } from '../Modal.tsx';

const RELAY_HINT = 'The relay’s address, starting with wss:// (or ws:// on your own machine). It stores only encrypted data.';

function RelayField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const relays = useTeam((s) => s.relays);
  return (
    <label className="field">
      <span>Relay address</span>
      <input value={value} onChange={(e) => onChange(e.target.value)} placeholder="wss://relay.example.org" list="known-relays" maxLength={2048} required spellCheck={false} />
      <datalist id="known-relays">
        {relays.map((url) => (
          <option key={url} value={url} />
        ))}
      </datalist>
      <span className="field-hint">{RELAY_HINT}</span>
    </label>
  );
}

async function afterTeamChange(workspace: Workspace): Promise<void> {
  const library = useLibrary.getState();
  await library.loadWorkspaces();
  await library.selectWorkspace(workspace.id);
  await useTeam.getState().load();
}

export function CreateTeamWorkspaceDialog({ onClose }: { onClose: () => void }) {
  const relays = useTeam((s) => s.relays);
  const [name, setName] = useState('');
  const [relay, setRelay] = useState(relays[0] ?? '');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return setProblem('Type a workspace name first.');
    setBusy(true);
    setProblem(null);
    try {
      const workspace = await call(hearth().createTeamWorkspace(name.trim(), relay.trim()));
      await afterTeamChange(workspace);
      onClose();
    } catch (error) {
      setProblem(messageOf(error));
      setBusy(false);
    }
  };
  return (
    <Modal
      title="New team workspace"
      description="Documents and comments in a team workspace are encrypted on this device and synced through a relay to the members you invite. Your username and display name are published on the relay so that others can invite you."
      onClose={onClose}
    >
      <form className="form" onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>Workspace name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} data-autofocus required />
        </label>
        <RelayField value={relay} onChange={setRelay} />
        {problem ? (
          <p role="alert" className="form-error">
            {problem}
          </p>
        ) : null}
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create team workspace'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function ConvertToTeamDialog({ workspace, onClose }: { workspace: Workspace; onClose: () => void }) {
  const relays = useTeam((s) => s.relays);
  const [plan, setPlan] = useState<TeamConversion | null>(null);
  const [relay, setRelay] = useState(relays[0] ?? '');
  const [agreed, setAgreed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    call(hearth().describeTeamConversion(workspace.id)).then(setPlan, (error: unknown) => setProblem(messageOf(error)));
  }, [workspace.id]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!agreed) return setProblem('Tick the box to confirm that these may leave this device.');
    setBusy(true);
    setProblem(null);
    try {
      const converted = await call(hearth().convertToTeam(workspace.id, relay.trim(), true));
      await afterTeamChange(converted);
      onClose();
    } catch (error) {
      setProblem(messageOf(error));
      setBusy(false);
    }
  };
  return (
    <Modal title={`Make “${workspace.name}” a team workspace?`} onClose={onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <div className="leave-device" aria-live="polite">
          <h3>What will leave this device</h3>
          {plan ? (
            <>
              <ul>
                <li>
                  {plan.documents} document{plan.documents === 1 ? '' : 's'} with {plan.documents === 1 ? 'its' : 'their'} full history
                </li>
                <li>
                  {plan.comments} comment{plan.comments === 1 ? '' : 's'}
                </li>
                {plan.filesStayLocal > 0 ? (
                  <li>
                    not the {plan.filesStayLocal} attached file{plan.filesStayLocal === 1 ? '' : 's'}: {plan.filesStayLocal === 1 ? 'it stays' : 'they stay'} on this device
                  </li>
                ) : null}
              </ul>
              <p>{plan.message}</p>
            </>
          ) : (
            <p className="muted">Counting what this workspace holds…</p>
          )}
        </div>
        <RelayField value={relay} onChange={setRelay} />
        <label className="checkbox">
          <input type="checkbox" checked={agreed} onChange={(e) => setAgreed(e.target.checked)} data-autofocus />
          <span>Encrypt and upload these to the relay</span>
        </label>
        {problem ? (
          <p role="alert" className="form-error">
            {problem}
          </p>
        ) : null}
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            Keep personal
          </button>
          <button type="submit" className="button button-primary" disabled={busy || !plan || !agreed}>
            {busy ? 'Uploading…' : 'Encrypt and upload'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
