/**
 * Making team workspaces: a new one on a relay (registering this vault there if needed), and
 * turning a personal workspace into a team one only after saying what will leave the device.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { TeamConversion, Workspace } from '../../../common/api/contract.ts';
import { capitalise, countOf } from '../../../common/wording.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { useLibrary } from '../../state/library.ts';
import { useTeam } from '../../state/team.ts';
import { Modal } from '../Modal.tsx';
import { DialogActions, Field, FormError, useSubmit } from '../Field.tsx';

const RELAY_HINT = 'The relay’s address, starting with wss:// (or ws:// on your own machine). It stores only encrypted data.';

/** The relay's address, offering the relays this vault knows. */
export function RelayField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const relays = useTeam((s) => s.relays);
  return (
    <Field label="Relay address" hint={RELAY_HINT}>
      <input
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder="wss://relay.example.org"
        list="known-relays"
        maxLength={2048}
        required
        spellCheck={false}
      />
      <datalist id="known-relays">
        {relays.map((url) => (
          <option key={url} value={url} />
        ))}
      </datalist>
    </Field>
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
  const { busy, problem, setProblem, run } = useSubmit();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return setProblem('Type a workspace name first.');
    await run(async () => {
      const workspace = await call(hearth().createTeamWorkspace(name.trim(), relay.trim()));
      await afterTeamChange(workspace);
      onClose();
    });
  };
  return (
    <Modal
      title="New team workspace"
      description="Documents and comments in a team workspace are encrypted on this device and synced through a relay to the members you invite. Your username and display name are published on the relay so that others can invite you."
      onClose={onClose}
    >
      <form className="form" onSubmit={(e) => void submit(e)}>
        <Field label="Workspace name">
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} data-autofocus required />
        </Field>
        <RelayField value={relay} onChange={setRelay} />
        <FormError problem={problem} />
        <DialogActions onCancel={onClose} actionLabel="Create team workspace" busyLabel="Creating…" busy={busy} />
      </form>
    </Modal>
  );
}

export function ConvertToTeamDialog({ workspace, onClose }: { workspace: Workspace; onClose: () => void }) {
  const relays = useTeam((s) => s.relays);
  const [plan, setPlan] = useState<TeamConversion | null>(null);
  const [relay, setRelay] = useState(relays[0] ?? '');
  const [agreed, setAgreed] = useState(false);
  const { busy, problem, setProblem, run } = useSubmit();
  useEffect(() => {
    call(hearth().describeTeamConversion(workspace.id)).then(setPlan, (error: unknown) => setProblem(messageOf(error)));
  }, [workspace.id]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!agreed) return setProblem('Tick the box to confirm that these may leave this device.');
    await run(async () => {
      const converted = await call(hearth().convertToTeam(workspace.id, relay.trim(), true));
      await afterTeamChange(converted);
      onClose();
    });
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
                  {capitalise(countOf(plan.documents, 'document'))}
                  {plan.documents > 0 ? ` with ${plan.documents === 1 ? 'its' : 'their'} full history` : ''}
                </li>
                <li>{capitalise(countOf(plan.comments, 'comment'))}</li>
                {plan.filesStayLocal > 0 ? (
                  <li>
                    Not the {countOf(plan.filesStayLocal, 'attached file')}: {plan.filesStayLocal === 1 ? 'it stays' : 'they stay'} on this device
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
        <FormError problem={problem} />
        <DialogActions
          onCancel={onClose}
          cancelLabel="Keep personal"
          actionLabel="Encrypt and upload"
          busyLabel="Uploading…"
          busy={busy}
          disabled={!plan || !agreed}
        />
      </form>
    </Modal>
  );
}
