/**
 * Settings → Privacy, under the public links: links of deleted documents that their relay still
 * serves because Hearth could not reach it to revoke them (offline, relay down). They go on the
 * next sync round; "Try now" asks the relays at once. Nothing is shown when there are none.
 */
import type { PendingLinkRevocation } from '../../../common/api/contract.ts';
import { call, hearth } from '../../state/api.ts';
import { formatExact, formatWhen } from '../format.ts';
import { MessageLine, useTask } from './parts.tsx';

/** host:port of a relay address, as the user typed it when adding the relay. */
export function relayHost(relay: string): string {
  try {
    return new URL(relay).host;
  } catch {
    return relay;
  }
}

function listed(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

export function PendingRevocations({ pending, onChange }: { pending: PendingLinkRevocation[]; onChange: (pending: PendingLinkRevocation[]) => void }) {
  const { busy, message, run } = useTask();
  if (pending.length === 0 && !message) return null;
  const hosts = [...new Set(pending.map((p) => relayHost(p.relay)))];
  const count = pending.length;

  const retry = () =>
    run(async () => {
      const left = await call(hearth().retryLinkRevocations());
      onChange(left);
      if (left.length > 0) {
        const still = listed([...new Set(left.map((p) => relayHost(p.relay)))]);
        throw new Error(
          `Still cannot reach ${still}: ${left.length === 1 ? 'the copy stays' : 'the copies stay'} there until Hearth reaches it; it tries again each time it reconnects.`,
        );
      }
      return count === 1 ? 'Revoked: the relay no longer serves that copy.' : 'Revoked: the relays no longer serve those copies.';
    });

  return (
    <div className={count > 0 ? 'privacy-pending' : undefined} role="group" aria-label="Links waiting to be revoked">
      {count > 0 ? (
        <>
          <p>
            <strong>
              {count} public link{count === 1 ? '' : 's'} of {count === 1 ? 'a deleted document is' : 'deleted documents are'} still on {listed(hosts)}
            </strong>
            ; {count === 1 ? 'it' : 'they'} will be revoked the next time Hearth reaches {hosts.length === 1 ? 'it' : 'them'}. Anyone who has{' '}
            {count === 1 ? 'the link' : 'one of these links'} can read that copy until then.
          </p>
          <ul>
            {pending.map((p) => (
              <li key={p.id}>
                <strong>{p.title || 'Untitled'}</strong>{' '}
                <span className="muted">
                  — {p.workspaceName ? `${p.workspaceName}, ` : ''}on <code className="path">{relayHost(p.relay)}</code>, document deleted{' '}
                  <time dateTime={new Date(p.deletedAt).toISOString()} title={formatExact(p.deletedAt)}>
                    {formatWhen(p.deletedAt)}
                  </time>
                </span>
              </li>
            ))}
          </ul>
          <button type="button" className="button button-small" disabled={busy} onClick={() => void retry()}>
            {busy ? 'Trying…' : 'Try now'}
          </button>
        </>
      ) : null}
      <MessageLine message={message} />
    </div>
  );
}
