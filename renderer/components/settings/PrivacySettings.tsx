/**
 * Settings → Privacy: what this device stores, what each relay holds about you (its
 * right-of-access answer), who can see each workspace, active public links, the servers this app
 * contacts, and a way to the audit log. Sync can be paused per workspace from here too.
 */
import { RETENTION_LABELS, RETENTIONS, type Retention } from '../../../common/history/retention.ts';
import { useCallback, useEffect, useState } from 'react';
import type { PendingLinkRevocation, PrivacyMember, PrivacyReport } from '../../../common/api/contract.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { formatExact, formatSize, formatWhen } from '../format.ts';
import { MessageLine, type Message } from './parts.tsx';
import { PendingRevocations } from './PendingRevocations.tsx';

function Members({ members }: { members: PrivacyMember[] }) {
  return (
    <span>
      —{' '}
      {members.map((m, i) => (
        <span key={`${m.username}-${i}`}>
          {i > 0 ? ', ' : ''}
          {m.displayName ?? m.username}
          {m.isMe ? ' (you)' : ''} <span className="muted">{m.role}</span>
        </span>
      ))}
    </span>
  );
}

/** A space the relay holds, named as the person knows it; never by its id. */
function spaceName(space: { kind: string; name?: string }): string {
  if (space.kind === 'document') return space.name === undefined ? 'A shared document that is no longer on this device' : `Shared document “${space.name}”`;
  return space.name ?? 'A workspace that is no longer on this device';
}

const syncNames: Record<string, string> = { synced: 'Synced', syncing: 'Syncing', offline: 'Offline', error: 'Error', paused: 'Paused' };

export function PrivacySettings({ onShowAudit }: { onShowAudit: () => void }) {
  const [report, setReport] = useState<PrivacyReport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [message, setMessage] = useState<Message>(null);
  /** Links of deleted documents their relay still serves; null while unknown (not asked, or the question failed). */
  const [pending, setPending] = useState<PendingLinkRevocation[] | null>(null);
  const load = useCallback(() => {
    call(hearth().pendingLinkRevocations()).then(setPending, () => setPending(null));
    call(hearth().privacyReport()).then(
      (r) => {
        setReport(r);
        setProblem(null);
      },
      (error: unknown) => setProblem(messageOf(error)),
    );
  }, []);
  useEffect(load, [load]);

  const changeRetention = async (workspaceId: string, retention: Retention, name: string) => {
    try {
      const { forgotten } = await call(hearth().setRetention(workspaceId, retention));
      setMessage({
        ok: true,
        text: `${name} keeps edit history ${retention === 'forever' ? 'forever' : retention === 'none' ? 'not at all' : `for ${RETENTION_LABELS[retention]}`}; older edits were erased in ${forgotten.length} document${forgotten.length === 1 ? '' : 's'}.`,
      });
      load();
    } catch (error) {
      setMessage({ ok: false, text: messageOf(error) });
    }
  };

  const togglePause = async (workspaceId: string, paused: boolean, name: string) => {
    try {
      await call(paused ? hearth().resumeSync(workspaceId) : hearth().pauseSync(workspaceId));
      setMessage({
        ok: true,
        text: paused ? `Sync resumed for ${name}.` : `Sync paused for ${name}: the relay keeps what it has, nothing new leaves this device.`,
      });
      load();
    } catch (error) {
      setMessage({ ok: false, text: messageOf(error) });
    }
  };

  if (problem)
    return (
      <p role="alert" className="form-error">
        {problem}
      </p>
    );
  if (!report) return <p className="muted">Gathering what is stored where…</p>;
  const { device } = report;
  const totalDocs = device.workspaces.reduce((n, w) => n + w.documents, 0);
  const totalFiles = device.workspaces.reduce((n, w) => n + w.files, 0);
  return (
    <div className="settings-stack privacy">
      <section aria-labelledby="privacy-device">
        <h3 id="privacy-device">On this device</h3>
        <p className="muted">
          {totalDocs} document{totalDocs === 1 ? '' : 's'} and {totalFiles} file{totalFiles === 1 ? '' : 's'}, encrypted in one vault of{' '}
          {formatSize(device.vaultBytes)} at <code className="path">{device.vaultDir}</code>. Exports and backups go to{' '}
          <code className="path">{device.dataDir}</code>.
        </p>
        <div className="table-scroll" tabIndex={0} aria-label="Storage per workspace">
          <table className="audit">
            <thead>
              <tr>
                <th scope="col">Workspace</th>
                <th scope="col">Documents</th>
                <th scope="col">Files</th>
                <th scope="col">Stored</th>
                <th scope="col">Keep edit history</th>
                <th scope="col">Leaves this device</th>
              </tr>
            </thead>
            <tbody>
              {device.workspaces.map((w) => (
                <tr key={w.id}>
                  <td>{w.name}</td>
                  <td>{w.documents}</td>
                  <td>{w.files}</td>
                  <td>{formatSize(w.documentBytes + w.fileBytes)}</td>
                  <td>
                    <span className="privacy-sync">
                      <select
                        className="role-select"
                        aria-label={`Keep edit history in ${w.name}`}
                        value={w.retention}
                        disabled={!w.canChangeRetention}
                        onChange={(event) => void changeRetention(w.id, event.target.value as Retention, w.name)}
                      >
                        {RETENTIONS.map((r) => (
                          <option key={r} value={r}>
                            {RETENTION_LABELS[r]}
                          </option>
                        ))}
                      </select>
                      <span className="muted">{formatSize(w.historyBytes)} of history</span>
                    </span>
                  </td>
                  <td>
                    {w.kind === 'personal' && !w.relay ? (
                      'Never'
                    ) : (
                      <span className="privacy-sync">
                        {w.kind === 'personal' ? 'To your devices: ' : ''}
                        {w.sync ? `${syncNames[w.sync.state] ?? w.sync.state}${w.sync.pending > 0 ? `, ${w.sync.pending} waiting` : ''}` : 'Team'}
                        {w.sync ? (
                          <button type="button" className="button button-small" onClick={() => void togglePause(w.id, w.sync!.paused, w.name)}>
                            {w.sync.paused ? 'Resume sync' : 'Pause sync'}
                          </button>
                        ) : null}
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <MessageLine message={message} />
      </section>

      <section aria-labelledby="privacy-relays">
        <h3 id="privacy-relays">Servers this app contacts</h3>
        {report.relays.length === 0 ? (
          <p className="muted">None. Hearth has no relay to talk to, so nothing you write leaves this device.</p>
        ) : (
          <ul className="privacy-relays">
            {report.relays.map((r) => (
              <li key={r.url}>
                <p>
                  <code className="path">{r.url}</code>
                  <span className="muted">
                    {r.registeredAt ? ` · account since ${formatExact(r.registeredAt)}` : ''}
                    {r.lastContactAt ? ` · last contact ${formatWhen(r.lastContactAt)}` : ' · not contacted yet'}
                  </span>
                </p>
                {r.holds ? (
                  <div className="privacy-holds">
                    <p>
                      What it holds about you: your username <strong>{r.holds.username}</strong>, name <strong>{r.holds.displayName}</strong>
                      {r.holds.avatarBytes > 0 ? `, an avatar (${formatSize(r.holds.avatarBytes)})` : ''}, your public keys, {formatSize(r.holds.bytesStored)}{' '}
                      of encrypted content you wrote, {r.holds.keyEnvelopes} sealed key envelope{r.holds.keyEnvelopes === 1 ? '' : 's'} and {r.holds.links}{' '}
                      active public link
                      {r.holds.links === 1 ? '' : 's'}. Last sign-in {r.holds.lastSignInAt ? formatWhen(r.holds.lastSignInAt) : 'never'}.
                    </p>
                    {r.holds.logs ? (
                      <p className="muted">
                        Its logs, kept {r.holds.logs.retentionDays} day{r.holds.logs.retentionDays === 1 ? '' : 's'}: {r.holds.logs.holds}
                      </p>
                    ) : null}
                    {r.holds.spaces.length > 0 ? (
                      <ul>
                        {r.holds.spaces.map((s) => (
                          <li key={s.space}>
                            {spaceName(s)} — you are {s.role}; {formatSize(s.bytesStored)} stored, {formatSize(s.bytesAuthored)} by you
                          </li>
                        ))}
                      </ul>
                    ) : null}
                  </div>
                ) : (
                  <p className="muted">{r.problem ?? 'Not connected.'}</p>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="privacy-access">
        <h3 id="privacy-access">Who can see your workspaces</h3>
        <ul className="privacy-access">
          {report.access.map((a) => (
            <li key={a.workspaceId}>
              <strong>{a.name}</strong>{' '}
              {a.kind === 'personal' ? (
                <span className="muted">— only you</span>
              ) : a.problem ? (
                <span className="muted">— {a.problem}</span>
              ) : (
                <Members members={a.members} />
              )}
            </li>
          ))}
        </ul>
      </section>

      {report.sharedDocuments.length > 0 ? (
        <section aria-labelledby="privacy-shared">
          <h3 id="privacy-shared">Documents shared one by one</h3>
          <ul className="privacy-access">
            {report.sharedDocuments.map((d) => (
              <li key={d.documentId}>
                <strong>{d.title}</strong> <span className="muted">{d.received ? '(shared with you)' : '(shared by you)'}</span>{' '}
                {d.problem ? <span className="muted">— {d.problem}</span> : <Members members={d.members} />}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section aria-labelledby="privacy-links">
        <h3 id="privacy-links">Public links</h3>
        {report.links === null ? (
          <p className="muted">{report.syncAvailable ? 'This version cannot list public links.' : 'Not connected: links cannot be listed now.'}</p>
        ) : report.links.length === 0 ? (
          <p className="muted">{pending?.length ? 'No active public links.' : 'No active public links: nothing of yours can be read without an account.'}</p>
        ) : (
          <ul>
            {report.links.map((l) => (
              <li key={l.id}>
                <strong>{l.title}</strong>{' '}
                <span className="muted">
                  — published {formatWhen(l.createdAt)}, {l.expiresAt ? `expires ${formatExact(l.expiresAt)}` : 'no expiry'}
                </span>
              </li>
            ))}
          </ul>
        )}
        {pending ? (
          <PendingRevocations
            pending={pending}
            onChange={(left) => {
              setPending(left);
              // Reaching a relay also changes what the rest of the page says (connected, synced).
              load();
            }}
          />
        ) : null}
      </section>

      <section aria-labelledby="privacy-audit">
        <h3 id="privacy-audit">Audit log</h3>
        <p className="muted">Every unlock, export, deletion and sharing change on this device is recorded in the encrypted vault.</p>
        <button type="button" className="button" onClick={onShowAudit}>
          Open the audit log
        </button>
      </section>
    </div>
  );
}
