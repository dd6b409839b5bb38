/** Settings → Audit log: security events on this device, newest first, filterable by action and exportable as JSON. */
import { useEffect, useState } from 'react';
import type { AuditEntry } from '../../../common/api/contract.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { useSession } from '../../state/session.ts';
import { formatExact } from '../format.ts';
import { MessageLine, type Message } from './parts.tsx';
import { FormError } from '../Field.tsx';

/** "workspace.created" → "Workspace created". */
function describeAction(action: string): string {
  const words = action.replace(/[._]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function AuditLog() {
  const me = useSession((s) => s.profile?.username);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [action, setAction] = useState('all');
  const [exported, setExported] = useState<Message>(null);
  useEffect(() => {
    call(hearth().auditLog()).then(
      (log) => setEntries([...log].sort((a, b) => b.seq - a.seq)),
      (error: unknown) => setProblem(messageOf(error)),
    );
  }, []);
  const actions = [...new Set(entries?.map((e) => e.action) ?? [])].sort();
  const shown = entries?.filter((e) => action === 'all' || e.action === action) ?? null;
  const exportLog = async () => {
    try {
      const result = await call(hearth().exportAuditLog(action === 'all' ? {} : { actions: [action] }));
      setExported({ ok: true, text: `Exported ${result.entries} event${result.entries === 1 ? '' : 's'} as JSON to ${result.path}` });
    } catch (error) {
      setExported({ ok: false, text: messageOf(error) });
    }
  };
  return (
    <div>
      <h3>Audit log</h3>
      <p className="muted">Security events on this device, newest first. They are kept in the encrypted vault.</p>
      <FormError problem={problem} />
      {!entries && !problem ? <p className="muted">Loading the audit log…</p> : null}
      {entries?.length === 0 ? <p className="muted">No events yet.</p> : null}
      {entries && entries.length > 0 ? (
        <>
          <div className="audit-tools">
            <label className="field field-inline">
              <span>Show</span>
              <select value={action} onChange={(e) => setAction(e.target.value)}>
                <option value="all">All events</option>
                {actions.map((a) => (
                  <option key={a} value={a}>
                    {describeAction(a)}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" className="button" onClick={() => void exportLog()}>
              Export as JSON
            </button>
          </div>
          <MessageLine message={exported} />
          <div className="audit-scroll" tabIndex={0} aria-label="Audit log entries">
            <table className="audit">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">On</th>
                </tr>
              </thead>
              <tbody>
                {shown!.map((entry) => (
                  <tr key={entry.seq}>
                    <td>{formatExact(entry.at)}</td>
                    <td>{entry.actor === me ? 'You' : `@${entry.actor}`}</td>
                    <td>{describeAction(entry.action)}</td>
                    <td className="audit-target">{entry.about ?? entry.target ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </div>
  );
}
