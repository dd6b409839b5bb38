/**
 * Sharing one document: the people it is shared with and their roles (add by username, revoke,
 * which rotates the document's key), and public read-only links with an expiry (create, copy,
 * revoke). Sharing a personal workspace's document first says what will leave the device.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Copy, Link2 } from 'lucide-react';
import type { DocumentSummary, LinkInfo, Role, SharePlan, TeamMember, Workspace } from '../../../common/api/contract.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { roleLabels, roleSummaries } from '../../../common/roles.ts';
import { isUsername, USERNAME_RULE } from '../../../common/username.ts';
import { permissionsOf, useTeam } from '../../state/team.ts';
import { Field, FormError } from '../Field.tsx';
import { formatExact } from '../format.ts';
import { Modal } from '../Modal.tsx';
import { MemberIdentity, nameOf, UsernameRoleRow } from './people.tsx';

const SHARE_ROLES: Role[] = ['editor', 'commenter', 'viewer', 'admin'];
const EXPIRIES: Array<{ label: string; ms: number | null }> = [
  { label: 'Never', ms: null },
  { label: '1 hour', ms: 3_600_000 },
  { label: '1 day', ms: 86_400_000 },
  { label: '7 days', ms: 7 * 86_400_000 },
  { label: '30 days', ms: 30 * 86_400_000 },
];

export function ShareDialog({ document, workspace, onClose }: { document: DocumentSummary; workspace: Workspace | undefined; onClose: () => void }) {
  const permissions = permissionsOf(workspace);
  const title = document.title || 'Untitled';
  return (
    <Modal
      title={`Share “${title}”`}
      description="Only the people you share with can read it: it is end-to-end encrypted, and the relay never sees its content."
      onClose={onClose}
      wide
    >
      <People document={document} />
      {workspace?.kind === 'team' && permissions.manage ? <Links document={document} /> : null}
    </Modal>
  );
}

function People({ document }: { document: DocumentSummary }) {
  const relays = useTeam((s) => s.relays);
  const [people, setPeople] = useState<TeamMember[] | null>(null);
  const [plan, setPlan] = useState<SharePlan | null>(null);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [relay, setRelay] = useState(relays[0] ?? '');
  const [agreed, setAgreed] = useState(false);
  // Sharing alone sends what the document says now; its edit history goes only when asked for.
  const [keepHistory, setKeepHistory] = useState(false);
  const { busy, problem, setProblem, attempt } = useAttempt();
  const [shares, setShares] = useState(0);

  const load = useCallback(() => attempt(async () => setPeople(await call(hearth().documentShares(document.id)))), [attempt, document.id]);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    const url = relay.trim();
    const valid = /^wss?:\/\/\S+$/.test(url);
    call(hearth().describeShare(document.id, valid ? url : null, keepHistory)).then(
      (next) => setPlan(next),
      () => setPlan(null),
    );
  }, [document.id, relay, shares, keepHistory]);

  const iAmOwner = people?.some((p) => p.isMe && p.role === 'owner') ?? false;
  const share = async (event: FormEvent) => {
    event.preventDefault();
    const name = username.trim().replace(/^@/, '');
    if (!name) return setProblem('Type the username of the person to share with.');
    if (!isUsername(name)) return setProblem(`${name} is not a username. ${USERNAME_RULE}`);
    if (plan?.leavesDevice && !agreed) return setProblem('Tick the box to confirm that this document may leave this device.');
    const url = relay.trim();
    const shared = await attempt(async () => {
      await call(
        hearth().shareDocument(document.id, name, role, {
          ...(plan?.leavesDevice ? { confirmed: true as const } : {}),
          ...(url ? { relay: url } : {}),
          ...(keepHistory ? { keepHistory } : {}),
        }),
      );
      setUsername('');
      setAgreed(false);
      // Once shared, the document is on the relay: the next share uploads nothing new.
      setShares((n) => n + 1);
    }, true);
    if (shared) await load();
  };
  const revoke = async (member: TeamMember) => {
    await attempt(async () => setPeople(await call(hearth().unshareDocument(document.id, member.username!))));
  };

  return (
    <section aria-labelledby="share-people">
      <h3 id="share-people">People</h3>
      {people === null && !problem ? <p className="muted">Loading…</p> : null}
      {people?.length === 0 ? <p className="muted">Not shared with anyone on its own yet.</p> : null}
      <ul className="members" aria-label="People with access">
        {people?.map((member) => (
          <li key={member.account} className="member">
            <MemberIdentity member={member} />
            <span className={`role-chip role-${member.role}`}>{roleLabels[member.role]}</span>
            {iAmOwner && !member.isMe && member.username ? (
              <button type="button" className="button button-quiet" onClick={() => void revoke(member)} aria-label={`Stop sharing with ${nameOf(member)}`}>
                Revoke
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      <form className="invite-form" onSubmit={(e) => void share(e)} aria-label="Share with someone">
        <UsernameRoleRow
          username={username}
          onUsername={setUsername}
          role={role}
          onRole={setRole}
          roles={SHARE_ROLES}
          busy={busy}
          actionLabel="Share"
          busyLabel="Sharing…"
        />
        <p className="field-hint">
          {roleLabels[role]}: {roleSummaries[role]}. They get this document only, not the rest of the workspace.
        </p>
        {plan?.leavesDevice || relays.length === 0 ? (
          <Field label="Relay address">
            <input value={relay} onChange={(e) => setRelay(e.target.value)} placeholder="wss://relay.example.org" maxLength={2048} spellCheck={false} />
          </Field>
        ) : null}
        {people?.length === 0 ? (
          <label className="checkbox">
            <input type="checkbox" checked={keepHistory} onChange={(e) => setKeepHistory(e.target.checked)} />
            <span>Send its edit history too (without it, its earlier versions are erased, here too, and they read only what it says now)</span>
          </label>
        ) : null}
        {plan?.leavesDevice ? (
          <div className="leave-device">
            <h3>What will leave this device</h3>
            <p>{plan.message}</p>
            <label className="checkbox">
              <input type="checkbox" checked={agreed} onChange={(e) => setAgreed(e.target.checked)} />
              <span>Encrypt and upload this document</span>
            </label>
          </div>
        ) : null}
        <FormError problem={problem} />
      </form>
    </section>
  );
}

function Links({ document }: { document: DocumentSummary }) {
  const [links, setLinks] = useState<LinkInfo[] | null>(null);
  const [expiry, setExpiry] = useState(EXPIRIES[3]!.label);
  const [includeImages, setIncludeImages] = useState(false);
  const { busy, problem, setProblem, attempt } = useAttempt();
  const [copied, setCopied] = useState<string | null>(null);
  const load = useCallback(
    () => attempt(async () => setLinks((await call(hearth().listLinks())).filter((l) => l.documentId === document.id))),
    [attempt, document.id],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const create = async () => {
    const ms = EXPIRIES.find((e) => e.label === expiry)?.ms ?? null;
    const options = { ...(ms === null ? {} : { expiresInMs: ms }), ...(includeImages ? { includeImages: true } : {}) };
    if (await attempt(() => call(hearth().createLink(document.id, options)), true)) await load();
  };
  const revoke = async (link: LinkInfo) => {
    if (await attempt(() => call(hearth().revokeLink(link.id)))) await load();
  };
  const copy = async (link: LinkInfo) => {
    try {
      await navigator.clipboard.writeText(link.url);
      setCopied(link.id);
    } catch {
      setProblem('The link could not be copied here; select it and copy it by hand.');
    }
  };
  return (
    <section aria-labelledby="share-links" className="share-links">
      <h3 id="share-links">Public links</h3>
      <p className="field-hint">
        Anyone with a link can read a copy of the document as it is now, in any browser. The key is in the part after “#”, which is never sent to the relay.
      </p>
      <ul className="links" aria-label="Active links">
        {links?.map((link) => (
          <li key={link.id} className="link-row">
            <Link2 aria-hidden size={16} />
            <input className="link-url" readOnly value={link.url} aria-label="Link address" onFocus={(e) => e.target.select()} />
            <span className="muted link-expiry">{link.expiresAt ? `until ${formatExact(link.expiresAt)}` : 'no expiry'}</span>
            <button type="button" className="icon-button" aria-label="Copy link" onClick={() => void copy(link)}>
              <Copy aria-hidden size={16} />
            </button>
            <button type="button" className="button button-quiet" onClick={() => void revoke(link)}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
      {copied ? (
        <p className="form-ok" role="status">
          Link copied.
        </p>
      ) : null}
      <div className="invite-row">
        <Field label="Expires after">
          <select value={expiry} onChange={(e) => setExpiry(e.target.value)}>
            {EXPIRIES.map((e) => (
              <option key={e.label} value={e.label}>
                {e.label}
              </option>
            ))}
          </select>
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={includeImages} onChange={(e) => setIncludeImages(e.target.checked)} />
          <span>Include its images</span>
        </label>
        <button type="button" className="button" onClick={() => void create()} disabled={busy}>
          {busy ? 'Publishing…' : 'Create public link'}
        </button>
      </div>
      <FormError problem={problem} />
    </section>
  );
}

/**
 * One section's busy flag and problem line around the calls it makes: each attempt clears the
 * last problem and shows its own; `busy` marks the ones the section's main button waits for.
 * Resolves true when the work succeeded.
 */
function useAttempt() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const attempt = useCallback(async (work: () => Promise<unknown>, marksBusy = false): Promise<boolean> => {
    if (marksBusy) setBusy(true);
    setProblem(null);
    try {
      await work();
      return true;
    } catch (error) {
      setProblem(messageOf(error));
      return false;
    } finally {
      if (marksBusy) setBusy(false);
    }
  }, []);
  return { busy, problem, setProblem, attempt };
}
