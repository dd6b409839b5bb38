/**
 * "Sync between my devices" for a personal workspace: turning it on only after the dialog named
 * what will leave the device (counts, sizes, the relay, what the relay sees), and turning it off,
 * saying what stays on the relay and offering to delete it there.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { DeviceSyncPlan, Workspace } from '../../../common/api/contract.ts';
import { capitalise, countOf, formatSize } from '../../../common/wording.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { useLibrary } from '../../state/library.ts';
import { useTeam } from '../../state/team.ts';
import { useUi } from '../../state/ui.ts';
import { DialogActions, FormError, useSubmit } from '../Field.tsx';
import { Modal } from '../Modal.tsx';
import { RelayField } from './TeamDialogs.tsx';

const RELAY_ADDRESS = /^wss?:\/\/\S+$/;

export function DeviceSyncOnDialog({ workspace, onClose }: { workspace: Workspace; onClose: () => void }) {
  const relays = useTeam((s) => s.relays);
  const [relay, setRelay] = useState(relays[0] ?? '');
  const [plan, setPlan] = useState<DeviceSyncPlan | null>(null);
  const [agreed, setAgreed] = useState(false);
  const { busy, problem, setProblem, run } = useSubmit();
  const chosen = relay.trim();
  useEffect(() => {
    const asked = RELAY_ADDRESS.test(chosen) ? chosen : null;
    call(hearth().describeDeviceSync(workspace.id, asked)).then(setPlan, (error: unknown) => setProblem(messageOf(error)));
  }, [workspace.id, chosen]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!agreed) return setProblem('Tick the box to confirm that these may leave this device.');
    if (!RELAY_ADDRESS.test(chosen)) return setProblem('Type the relay’s address, starting with wss:// (or ws:// on your own machine).');
    await run(async () => {
      const synced = await call(hearth().turnDeviceSyncOn(workspace.id, chosen, true));
      await useLibrary.getState().loadWorkspaces();
      await useLibrary.getState().selectWorkspace(synced.id);
      await useTeam.getState().load();
      onClose();
    });
  };
  return (
    <Modal
      title={`Sync “${workspace.name}” between your devices?`}
      description="It stays personal: only the devices linked to your account can read it, and no one else can ever be added to it."
      onClose={onClose}
    >
      <form className="form" onSubmit={(e) => void submit(e)}>
        <div className="leave-device" aria-live="polite">
          <h3>What will leave this device</h3>
          {plan ? (
            <ul aria-label="What will leave this device">
              <li>
                {capitalise(countOf(plan.documents, 'document'))}
                {plan.documents > 0 ? `, ${formatSize(plan.documentBytes)} with ${plan.documents === 1 ? 'its' : 'their'} history` : ''}
              </li>
              <li>{capitalise(countOf(plan.comments, 'comment'))}</li>
              <li>
                {capitalise(countOf(plan.files, 'file'))}
                {plan.files > 0 ? `, ${formatSize(plan.fileBytes)}` : ''}
              </li>
              <li>To the relay {RELAY_ADDRESS.test(chosen) ? chosen : '(type its address below)'}</li>
              <li>Encrypted end-to-end; the relay sees sizes and times</li>
            </ul>
          ) : (
            <p className="muted">Counting what this workspace holds…</p>
          )}
        </div>
        <RelayField value={relay} onChange={setRelay} />
        <label className="checkbox">
          <input type="checkbox" checked={agreed} onChange={(e) => setAgreed(e.target.checked)} data-autofocus />
          <span>Encrypt these and sync them through the relay to my devices</span>
        </label>
        <FormError problem={problem} />
        <DialogActions
          onCancel={onClose}
          cancelLabel="Keep on this device"
          actionLabel="Turn on sync"
          busyLabel="Uploading…"
          busy={busy}
          disabled={!plan || !agreed}
        />
      </form>
    </Modal>
  );
}

export function DeviceSyncOffDialog({ workspace, onClose }: { workspace: Workspace; onClose: () => void }) {
  const notify = useUi((s) => s.notify);
  const [deleteFromRelay, setDeleteFromRelay] = useState(false);
  const { busy, problem, run } = useSubmit();
  const relay = workspace.relay ?? 'the relay';
  const stop = () =>
    run(async () => {
      const stopped = await call(hearth().turnDeviceSyncOff(workspace.id, { deleteFromRelay }));
      await useLibrary.getState().loadWorkspaces();
      notify(stopped.message);
      onClose();
    });
  return (
    <Modal
      title={`Stop syncing “${workspace.name}” between your devices?`}
      description={`It stays on this device with everything in it, and this device stops syncing it. ${relay} still holds its encrypted copy, and your other devices keep syncing it.`}
      onClose={onClose}
    >
      <label className="checkbox">
        <input type="checkbox" checked={deleteFromRelay} onChange={(e) => setDeleteFromRelay(e.target.checked)} data-autofocus />
        <span>Also delete it from {relay} (your other devices keep their copies and stop syncing it)</span>
      </label>
      <FormError problem={problem} />
      <DialogActions
        onCancel={onClose}
        cancelLabel="Keep syncing"
        actionLabel={deleteFromRelay ? 'Stop and delete from relay' : 'Stop syncing'}
        busyLabel="Working…"
        busy={busy}
        danger={deleteFromRelay}
        onAction={() => void stop()}
      />
    </Modal>
  );
}
