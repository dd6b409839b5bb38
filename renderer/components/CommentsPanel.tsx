/** Comments beside the document: a new comment on the selected text, threads with replies, resolve. */
import { forwardRef, useEffect, useMemo, useState, type FormEvent } from 'react';
import { Check, MessageSquare, RotateCcw, Trash2 } from 'lucide-react';
import type { CommentThread, TeamMember } from '../../common/api/contract.ts';
import { Avatar } from './Avatar.tsx';
import { canChangeComment, type Role } from '../../common/roles.ts';
import { useComments } from '../state/comments.ts';
import { useSession } from '../state/session.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { Field, FormError } from './Field.tsx';
import { call, hearth, messageOf } from '../state/api.ts';
import { formatExact, formatWhen } from './format.ts';

interface CommentsPanelProps {
  /** The quote the new comment will be anchored to, if text is selected. */
  selectionQuote: string | null;
  /** Anchors the comment to the current selection (and saves pending edits first). */
  onAdd: (text: string) => Promise<void>;
  onShowThread: (thread: CommentThread) => void;
  /** False for a Viewer: no comment box, no replies, no resolve. */
  canComment?: boolean;
  /** The user's role for this document; null where none applies (a personal workspace: theirs to do anything in). */
  role?: Role | null;
  /** Display names by username (a team's members); an author not in it shows as their username. */
  names?: ReadonlyMap<string, string>;
  /** Avatars (data URLs) by username; an author without one shows their initials. */
  avatars?: ReadonlyMap<string, string>;
}

const NO_NAMES: ReadonlyMap<string, string> = new Map();
const NO_AVATARS: ReadonlyMap<string, string> = new Map();

/**
 * Whether the comments show beside the document: only when it has some (or the person is writing
 * the first), and only if they have not put the panel away; that choice is remembered in their
 * settings. Closing an empty panel is "not now", not "never".
 */
export function useCommentsPanel(hasComments: boolean) {
  const wanted = useSession((s) => s.settings.showComments !== false);
  const updateSettings = useSession((s) => s.updateSettings);
  const [composing, setComposing] = useState(false);
  const open = wanted && (hasComments || composing);
  const remember = (showComments: boolean) => void updateSettings({ showComments }).catch(() => undefined);
  const compose = () => {
    setComposing(true);
    if (!wanted) remember(true);
  };
  const toggle = () => {
    if (!open) return compose();
    setComposing(false);
    if (hasComments) remember(false);
  };
  return { open, toggle, compose };
}

/** Names and avatars to show for comment authors, by username. */
export interface Authors {
  names: ReadonlyMap<string, string>;
  avatars: ReadonlyMap<string, string>;
}

/**
 * Comments carry their author's username; this gives the names and avatars to show: a team's
 * members' directory (a member's former usernames too, so a comment written before a rename shows
 * their new name), the people a document shared on its own is shared with, and my own profile.
 * Read again when a workspace's index changes (a member changed their profile).
 */
export function useAuthors(teamId: string | null, sharedDocumentId: string | null): Authors {
  const profile = useSession((s) => s.profile);
  const [known, setKnown] = useState<TeamMember[]>([]);
  useEffect(() => {
    if (!teamId && !sharedDocumentId) return;
    let cancelled = false;
    const load = () =>
      call(teamId ? hearth().listMembers(teamId) : hearth().documentShares(sharedDocumentId!)).then(
        (members) => !cancelled && setKnown(members),
        () => undefined, // usernames it is
      );
    void load();
    const off = hearth().on('workspacesChanged', () => void load());
    return () => {
      cancelled = true;
      off();
    };
  }, [teamId, sharedDocumentId]);
  return useMemo(() => {
    const names = new Map<string, string>();
    const avatars = new Map<string, string>();
    for (const m of known) {
      if (!m.username || !m.displayName) continue;
      for (const username of [...(m.formerUsernames ?? []), m.username]) {
        names.set(username, m.displayName);
        if (m.avatar) avatars.set(username, m.avatar);
      }
    }
    if (profile) {
      for (const username of [...(profile.formerUsernames ?? []), profile.username]) {
        names.set(username, profile.displayName);
        if (profile.avatar) avatars.set(username, profile.avatar);
      }
    }
    return { names, avatars };
  }, [known, profile]);
}

export const CommentsPanel = forwardRef<HTMLTextAreaElement, CommentsPanelProps>(function CommentsPanel(
  { selectionQuote, onAdd, onShowThread, canComment = true, role = null, names = NO_NAMES, avatars = NO_AVATARS },
  newCommentRef,
) {
  const { threads, problem, activeThreadId } = useComments();
  const [showResolved, setShowResolved] = useState(false);
  const open = threads?.filter((t) => !t.resolved) ?? [];
  const resolved = threads?.filter((t) => t.resolved) ?? [];

  return (
    <aside className="comments" aria-labelledby="comments-heading">
      <h2 id="comments-heading" className="panel-heading">
        Comments
      </h2>
      {canComment ? (
        <CommentForm
          ref={newCommentRef}
          label={selectionQuote ? 'Comment on the selected text' : 'Comment on the document'}
          quote={selectionQuote}
          submitLabel="Comment"
          onSubmit={onAdd}
        />
      ) : null}
      <FormError problem={problem} />
      {threads === null ? <p className="muted">Loading comments…</p> : null}
      {threads?.length === 0 ? (
        <div className="empty-state empty-state-small">
          <MessageSquare aria-hidden size={24} />
          <p className="muted">{canComment ? 'No comments yet. Select some text and write one.' : 'No comments yet.'}</p>
        </div>
      ) : null}
      <ul className="threads" aria-label="Open comments">
        {open.map((thread) => (
          <ThreadView
            key={thread.id}
            thread={thread}
            names={names}
            avatars={avatars}
            active={thread.id === activeThreadId}
            canComment={canComment}
            role={role}
            onShow={() => onShowThread(thread)}
          />
        ))}
      </ul>
      {resolved.length > 0 ? (
        <div className="resolved">
          <button type="button" className="button button-quiet" aria-expanded={showResolved} onClick={() => setShowResolved(!showResolved)}>
            {showResolved ? 'Hide' : 'Show'} resolved ({resolved.length})
          </button>
          {showResolved ? (
            <ul className="threads" aria-label="Resolved comments">
              {resolved.map((thread) => (
                <ThreadView
                  key={thread.id}
                  thread={thread}
                  names={names}
                  avatars={avatars}
                  active={false}
                  canComment={canComment}
                  role={role}
                  onShow={() => onShowThread(thread)}
                />
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </aside>
  );
});

interface ThreadViewProps {
  thread: CommentThread;
  names: ReadonlyMap<string, string>;
  avatars: ReadonlyMap<string, string>;
  active: boolean;
  onShow: () => void;
  canComment: boolean;
  role: Role | null;
}

function ThreadView({ thread, names, avatars, active, onShow, canComment, role }: ThreadViewProps) {
  const { reply, resolve, remove } = useComments();
  const profile = useSession((s) => s.profile);
  // Comments written before a rename carry the old username; they are still mine.
  const mine = (author: string | undefined) => author !== undefined && (author === profile?.username || (profile?.formerUsernames ?? []).includes(author));
  // The rules of common/roles.ts, as main applies them; without a role (personal) everything, unless the membership ended.
  const mayResolve = canComment && (role === null || canChangeComment(role, 'resolve', mine(thread.comments[0]?.author)));
  const mayDelete = (commentId: string) => {
    const going = commentId === thread.id ? thread.comments : thread.comments.filter((c) => c.id === commentId);
    return role === null ? canComment : going.every((c) => canChangeComment(role, 'delete', mine(c.author)));
  };
  const [replying, setReplying] = useState(false);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const first = thread.comments[0];
  const toggleResolved = async () => {
    try {
      setProblem(null);
      await resolve(thread.id, !thread.resolved);
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  return (
    <li
      className={active ? 'thread thread-active' : thread.resolved ? 'thread thread-resolved' : 'thread'}
      aria-label={`Comment by ${first ? (names.get(first.author) ?? first.author) : 'someone'}`}
    >
      {thread.anchor ? (
        <button type="button" className="thread-quote" onClick={onShow} title="Show in the document">
          “{thread.anchor.quote}”
        </button>
      ) : null}
      <ol className="thread-comments">
        {thread.comments.map((comment) => (
          <li key={comment.id} className="comment">
            <div className="comment-meta">
              <Avatar name={names.get(comment.author) ?? comment.author} src={avatars.get(comment.author)} size={20} />
              <strong title={names.has(comment.author) ? `@${comment.author}` : undefined}>{names.get(comment.author) ?? comment.author}</strong>{' '}
              <time dateTime={new Date(comment.createdAt).toISOString()} title={formatExact(comment.createdAt)}>
                {formatWhen(comment.createdAt)}
              </time>
              {mayDelete(comment.id) ? (
                <button
                  type="button"
                  className="icon-button comment-delete"
                  aria-label={`Delete comment “${comment.text.slice(0, 40)}”`}
                  onClick={() => setDeleting(comment.id)}
                >
                  <Trash2 aria-hidden size={14} />
                </button>
              ) : null}
            </div>
            <p className="comment-text">{comment.text}</p>
          </li>
        ))}
      </ol>
      <FormError problem={problem} />
      {canComment ? (
        <div className="thread-actions">
          {!thread.resolved ? (
            <button type="button" className="button button-quiet" onClick={() => setReplying(!replying)} aria-expanded={replying}>
              Reply
            </button>
          ) : null}
          {mayResolve ? (
            <button type="button" className="button button-quiet" onClick={() => void toggleResolved()}>
              {thread.resolved ? <RotateCcw aria-hidden size={14} /> : <Check aria-hidden size={14} />}
              {thread.resolved ? 'Reopen' : 'Resolve'}
            </button>
          ) : null}
        </div>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete this comment?"
          description={`${deleting === thread.id ? 'The comment and its replies are' : 'The comment is'} erased for good${role === null ? '' : ': here, at the relay and on every other member’s device as their app syncs'}.`}
          confirmLabel="Delete comment"
          onConfirm={() => remove(deleting)}
          onClose={() => setDeleting(null)}
        />
      ) : null}
      {replying ? (
        <CommentForm
          label="Reply"
          quote={null}
          submitLabel="Reply"
          autoFocus
          onSubmit={async (text) => {
            await reply(thread.id, text);
            setReplying(false);
          }}
        />
      ) : null}
    </li>
  );
}

interface CommentFormProps {
  label: string;
  quote: string | null;
  submitLabel: string;
  autoFocus?: boolean;
  onSubmit: (text: string) => Promise<void>;
}

const CommentForm = forwardRef<HTMLTextAreaElement, CommentFormProps>(function CommentForm({ label, quote, submitLabel, autoFocus, onSubmit }, ref) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (!text.trim()) return setProblem('Write something first.');
    setBusy(true);
    setProblem(null);
    try {
      await onSubmit(text.trim());
      setText('');
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="comment-form" onSubmit={(e) => void submit(e)}>
      <Field label={label}>
        {quote ? <span className="comment-form-quote">“{quote.length > 80 ? `${quote.slice(0, 80)}…` : quote}”</span> : null}
        <textarea
          ref={ref}
          value={text}
          rows={2}
          maxLength={10_000}
          autoFocus={autoFocus}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit();
          }}
        />
      </Field>
      <FormError problem={problem} />
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Saving…' : submitLabel}
      </button>
    </form>
  );
});
