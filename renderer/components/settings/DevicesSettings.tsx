/**
 * Settings → Devices: the devices that hold this account (as its signed device log lists them),
 * when each relay last saw each one, and revoked ones as revoked. "Revoke…" says what revoking
 * does, asks for the second factor when one is enrolled, and reports which relays refuse the
 * device now. "Link a new device…" says what to do on the new device, waits for its request and
 * shows the code to compare before Approve or Decline.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { ApiResults, DeviceInfo, PairingRequest } from '../../../common/api/contract.ts';
import { askSecurityKey } from '../../security/security-key.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { useSession } from '../../state/session.ts';
import { formatExact, formatWhen } from '../format.ts';
import { DialogActions, FormError, useSubmit } from '../Field.tsx';
import { Modal } from '../Modal.tsx';
import { MessageLine, type Message } from './parts.tsx';
import { relayHost } from './PendingRevocations.tsx';

/** "123456" as people read it: "123 456". */
export const spacedCode = (code: string) => `${code.slice(0, 3)} ${code.slice(3)}`;

function When({ at }: { at: number }) {
  return (
    <time dateTime={new Date(at).toISOString()} title={formatExact(at)}>
      {formatWhen(at)}
    </time>
  );
}

export function DevicesSettings() {
  const [listing, setListing] = useState<ApiResults['listDevices'] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<DeviceInfo | null>(null);
  const [linking, setLinking] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  const reload = useCallback(async () => {
    try {
      setListing(await call(hearth().listDevices()));
      setProblem(null);
    } catch (error) {
      setProblem(messageOf(error));
    }
  }, []);
  useEffect(() => void reload(), [reload]);

  return (
    <div className="settings-stack">
      <div className="form">
        <h3>Devices</h3>
        <p className="muted">The devices that hold your account. Each has its own keys; relays let in only the devices your account approved.</p>
        <FormError problem={problem} />
        {!listing && !problem ? <p className="muted">Asking the relays about your devices…</p> : null}
        {listing ? (
          <ul className="device-list" aria-label="Your devices">
            {listing.devices.map((device) => (
              <li key={device.id} className={device.revokedAt !== undefined ? 'device device-revoked' : 'device'}>
                <div>
                  <strong>{device.kind === 'recovery' ? 'Recovery key' : device.name}</strong>
                  {device.isThis ? <span className="device-tag">This device</span> : null}
                  {device.revokedAt !== undefined ? <span className="device-tag device-tag-revoked">Revoked</span> : null}
                  <p className="muted">
                    Added <When at={device.addedAt} />
                    {device.revokedAt !== undefined ? (
                      <>
                        , revoked <When at={device.revokedAt} />
                      </>
                    ) : null}
                  </p>
                  {device.lastSeen.map((seen) => (
                    <p key={seen.relay} className="muted">
                      Last seen by <code className="path">{relayHost(seen.relay)}</code>: {seen.at === null ? 'never' : <When at={seen.at} />}
                    </p>
                  ))}
                </div>
                {!device.isThis && device.kind === 'device' && device.revokedAt === undefined ? (
                  <button type="button" className="button button-danger" onClick={() => setRevoking(device)} aria-label={`Revoke ${device.name}…`}>
                    Revoke…
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        ) : null}
        {listing?.unanswered.map((r) => (
          <p key={r.relay} className="field-hint field-hint-error">
            {relayHost(r.relay)} could not say when it last saw your devices: {r.problem}
          </p>
        ))}
        <MessageLine message={message} />
        <div>
          <button type="button" className="button button-primary" onClick={() => setLinking(true)}>
            Link a new device…
          </button>
        </div>
      </div>
      {revoking ? (
        <RevokeDevice
          device={revoking}
          onClose={() => setRevoking(null)}
          onDone={(text) => {
            setRevoking(null);
            setMessage({ ok: true, text });
            void reload();
          }}
        />
      ) : null}
      {linking ? (
        <LinkNewDevice
          onClose={(text) => {
            setLinking(false);
            if (text) setMessage({ ok: true, text });
            void reload();
          }}
        />
      ) : null}
    </div>
  );
}

function RevokeDevice({ device, onClose, onDone }: { device: DeviceInfo; onClose: () => void; onDone: (text: string) => void }) {
  const { busy, problem, run } = useSubmit();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      // With a second factor enrolled, revoking needs the security key too.
      const factor = await call(hearth().secondFactor());
      const secondFactor = factor ? await askSecurityKey({ prfSalt: factor.prfSalt, credentialIds: factor.credentials.map((c) => c.id) }) : undefined;
      const result = await call(hearth().revokeDevice(device.id, secondFactor ? { secondFactor } : {}));
      onDone(`Revoked “${device.name}”: ${result.relays.map(relayHost).join(', ')} refuse${result.relays.length === 1 ? 's' : ''} it from now on.`);
    });
  };
  return (
    <Modal title={`Revoke “${device.name}”`} description="Do this when a device is lost, sold or no longer yours." onClose={busy ? () => undefined : onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <ul className="consequences">
          <li>Every relay your account is on refuses “{device.name}” at once: it can no longer sign in or receive anything.</li>
          <li>Every workspace and shared document it could read moves to a new key in the same step, so nothing written afterwards opens with its keys.</li>
          <li>It keeps what it already had on its disk: documents it synced before stay readable there to whoever unlocks it.</li>
        </ul>
        <FormError problem={problem} />
        <DialogActions onCancel={onClose} cancelDisabled={busy} cancelAutoFocus actionLabel="Revoke device" busyLabel="Revoking…" busy={busy} danger />
      </form>
    </Modal>
  );
}

type LinkStage = { kind: 'waiting' } | { kind: 'asked'; request: PairingRequest } | { kind: 'done'; text: string } | { kind: 'failed'; text: string };

function LinkNewDevice({ onClose }: { onClose: (text?: string) => void }) {
  const username = useSession((s) => s.profile?.username ?? '');
  const [relays, setRelays] = useState<string[]>([]);
  const [stage, setStage] = useState<LinkStage>({ kind: 'waiting' });
  const [busy, setBusy] = useState(false);
  const open = useRef(true);
  const wait = useCallback(() => {
    setStage({ kind: 'waiting' });
    call(hearth().answerDevice({})).then(
      (request) => open.current && setStage({ kind: 'asked', request }),
      (error: unknown) => open.current && setStage({ kind: 'failed', text: messageOf(error) }),
    );
  }, []);
  useEffect(() => {
    open.current = true;
    call(hearth().listRelays()).then(
      (list) => setRelays(list.filter((r) => r.account).map((r) => r.url)),
      () => undefined,
    );
    wait();
    return () => {
      open.current = false;
      // A request that comes after the dialog closed waits for the person to open it again.
      void hearth().stopAnsweringDevice();
    };
  }, [wait]);

  const answer = async (approve: boolean) => {
    if (stage.kind !== 'asked') return;
    const { request } = stage;
    setBusy(true);
    try {
      if (approve) {
        const added = await call(hearth().approveDevice(request.code, request.pairing));
        setStage({
          kind: 'done',
          text: `Added “${added.name}” to your account on ${added.relays.map(relayHost).join(', ')}. It receives your account and workspaces now.`,
        });
      } else {
        await call(hearth().declineDevice(request.pairing));
        setStage({ kind: 'done', text: `Declined “${request.name}”: nothing was stored, and it was told so.` });
      }
    } catch (error) {
      setStage({ kind: 'failed', text: messageOf(error) });
    } finally {
      setBusy(false);
    }
  };
  const close = () => onClose(stage.kind === 'done' ? stage.text : undefined);

  return (
    <Modal title="Link a new device" onClose={busy ? () => undefined : close}>
      <div className="form">
        <ol className="link-steps">
          <li>On the new device, open Hearth and choose “I already have an account”.</li>
          <li>
            Enter your username <strong>{username}</strong> and the relay address{' '}
            {relays.length > 0
              ? relays.map((r, i) => (
                  <span key={r}>
                    {i > 0 ? ', ' : ''}
                    <code className="path">{r}</code>
                  </span>
                ))
              : 'your account is on'}
            .
          </li>
          <li>Both devices then show a 6-digit code: approve here only if they are the same.</li>
        </ol>
        {stage.kind === 'waiting' ? (
          <p className="muted" role="status">
            Waiting for the new device to ask…
          </p>
        ) : null}
        {stage.kind === 'asked' ? (
          <div className="pairing-ask" role="group" aria-label="Pairing request">
            <p>
              <strong>“{stage.request.name}”</strong> asks to join your account. Does it show this code?
            </p>
            <p className="pairing-code">{spacedCode(stage.request.code)}</p>
            <div className="modal-actions">
              <button type="button" className="button" disabled={busy} onClick={() => void answer(false)}>
                Decline
              </button>
              <button type="button" className="button button-primary" disabled={busy} onClick={() => void answer(true)}>
                {busy ? 'Adding…' : 'Approve'}
              </button>
            </div>
          </div>
        ) : null}
        {stage.kind === 'done' ? <MessageLine message={{ ok: true, text: stage.text }} /> : null}
        {stage.kind === 'failed' ? (
          <>
            <FormError problem={stage.text} />
            <button type="button" className="button" onClick={wait}>
              Wait for a device again
            </button>
          </>
        ) : null}
        <div className="modal-actions">
          <button type="button" className="button" onClick={close} disabled={busy} data-autofocus={stage.kind === 'waiting' || undefined}>
            {stage.kind === 'done' ? 'Done' : 'Cancel'}
          </button>
        </div>
      </div>
    </Modal>
  );
}
