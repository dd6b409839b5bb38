/** The open document: its title and tags, the editor with its toolbar, and the comments beside it. */
import { useCallback, useEffect, useRef, useState } from 'react';
// Not re-exported by the package's index, but part of its published build.
import { pmRangeToAmRange } from '@automerge/prosemirror/dist/traversal.js';
import * as A from '@automerge/automerge/slim';
import { TextSelection } from 'prosemirror-state';
import type { EditorView } from 'prosemirror-view';
import { FileText, History, PanelRight, Share2 } from 'lucide-react';
import type { CommentThread, DocumentSummary, PresenceEntry, Role } from '../../common/api/contract.ts';
import { setLink, toolbarFacts, visibleSelection } from '../editor/commands.ts';
import { pmRangeOf, setHighlights } from '../editor/highlights.ts';
import { showSearchMatch } from '../editor/search-match.ts';
import { colorOf, setPresenceDecorations } from '../editor/presence.ts';
import { dispatchFromOutside } from '../editor/page-selection.ts';
import { DocumentReplica, openReplicas, type SaveState } from '../editor/replica.ts';
import { hearthSchemaAdapter, safeHref } from '../editor/schema.ts';
import { call, hearth, messageOf } from '../state/api.ts';
import { useComments } from '../state/comments.ts';
import { useLibrary } from '../state/library.ts';
import { permissionsOfRole, roleLabels, roleWithArticle } from '../../common/roles.ts';
import { useUi } from '../state/ui.ts';
import { isSharedHolder, permissionsOf, useTeam } from '../state/team.ts';
import { Avatar } from './Avatar.tsx';
import { ShareDialog } from './team/ShareDialog.tsx';
import { isRemoved, PausedBanner } from './team/WorkspaceBanners.tsx';
import { CommentsPanel, useAuthors, useCommentsPanel } from './CommentsPanel.tsx';
import { Editor } from './Editor.tsx';
import { HistoryPanel } from './HistoryPanel.tsx';
import { EditorToolbar } from './EditorToolbar.tsx';
import { NameDialog } from './NameDialog.tsx';
import { TagEditor } from './TagEditor.tsx';
import { FormError } from './Field.tsx';

type Loaded = { kind: 'loading' } | { kind: 'failed'; message: string } | { kind: 'ready'; replica: DocumentReplica; summary: DocumentSummary };

export function DocumentPane({ documentId }: { documentId: string }) {
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);
  // Kept here: a document replaced by a new generation is opened again, with its History panel still open.
  const [showHistory, setShowHistory] = useState(false);
  // The Share dialog too: sharing alone may erase the history first, which reopens the document under it.
  const [sharing, setSharing] = useState(false);
  const [shared, setShared] = useState<DocumentSummary | null>(null);
  const shareWorkspace = useLibrary((s) => s.workspaces?.find((w) => w.id === shared?.workspaceId));
  const documentSaved = useLibrary((s) => s.documentSaved);

  // Its edit history was erased (here, by a member, or in another window): the replica of the old
  // generation can take no change of the new one, so the document is opened afresh.
  useEffect(
    () =>
      hearth().on('documentReplaced', (replaced) => {
        if (replaced.documentId === documentId) setAttempt((n) => n + 1);
      }),
    [documentId],
  );

  useEffect(() => {
    let cancelled = false;
    let replica: DocumentReplica | null = null;
    setLoaded({ kind: 'loading' });
    call(hearth().openDocument(documentId)).then(
      ({ summary, bytes, actor }) => {
        if (cancelled) return;
        replica = new DocumentReplica(documentId, bytes, documentSaved, actor);
        openReplicas.set(documentId, replica);
        setLoaded({ kind: 'ready', replica, summary });
      },
      (error: unknown) => {
        if (!cancelled) setLoaded({ kind: 'failed', message: messageOf(error) });
      },
    );
    void useComments.getState().load(documentId);
    return () => {
      cancelled = true;
      if (replica && openReplicas.get(documentId) === replica) openReplicas.delete(documentId);
    };
  }, [documentId, attempt, documentSaved]);

  const shareDialog =
    sharing && shared ? (
      <ShareDialog
        document={shared}
        workspace={shareWorkspace}
        onClose={() => {
          setSharing(false);
          setShared(null);
        }}
      />
    ) : null;
  if (loaded.kind === 'loading') {
    return (
      <>
        <section className="document-pane document-pane-message" aria-busy="true" aria-label="Document">
          <p className="muted">Opening the document…</p>
        </section>
        {shareDialog}
      </>
    );
  }
  if (loaded.kind === 'failed') {
    return (
      <section className="document-pane document-pane-message" aria-label="Document">
        <p role="alert" className="form-error">
          This document could not be opened: {loaded.message}
        </p>
        <button type="button" className="button" onClick={() => setAttempt(attempt + 1)}>
          Try again
        </button>
      </section>
    );
  }
  const share = (summary: DocumentSummary) => {
    setShared(summary);
    setSharing(true);
  };
  return (
    <>
      <OpenDocument
        key={documentId}
        replica={loaded.replica}
        initial={loaded.summary}
        showHistory={showHistory}
        setShowHistory={setShowHistory}
        onShare={share}
      />
      {shareDialog}
    </>
  );
}

interface OpenDocumentProps {
  replica: DocumentReplica;
  initial: DocumentSummary;
  showHistory: boolean;
  setShowHistory: (show: boolean) => void;
  onShare: (summary: DocumentSummary) => void;
}

function OpenDocument({ replica, initial, showHistory, setShowHistory, onShare }: OpenDocumentProps) {
  const summary = useLibrary((s) => s.documents?.find((d) => d.id === initial.id)) ?? initial;
  const updateDocument = useLibrary((s) => s.updateDocument);
  const workspace = useLibrary((s) => s.workspaces?.find((w) => w.id === initial.workspaceId));
  // A document shared with me alone sits in a personal workspace; its share's role decides.
  const [sharedRole, setSharedRole] = useState<Role | null>(null);
  useEffect(() => {
    if (!workspace || (workspace.kind === 'team' && !isSharedHolder(workspace))) return;
    let cancelled = false;
    call(hearth().documentRole(initial.id)).then(
      (role) => !cancelled && setSharedRole(role),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [workspace, initial.id]);
  const byShare = (workspace?.kind !== 'team' || isSharedHolder(workspace)) && sharedRole !== null;
  const teamId = workspace?.kind === 'team' && !isSharedHolder(workspace) ? workspace.id : null;
  const { names, avatars } = useAuthors(teamId, byShare ? initial.id : null);
  const permissions = byShare ? permissionsOfRole(sharedRole) : permissionsOf(workspace);
  // Removed or paused, nothing reaches this copy: where others were is old news, not shown.
  const quiet = useTeam((s) => isRemoved(workspace) || (workspace !== undefined && s.statuses[workspace.id]?.state === 'paused'));
  const heard = useTeam((s) => s.presence[initial.id] ?? NOBODY);
  const present = quiet ? NOBODY : heard;
  const { threads, activeThreadId, setActive, add } = useComments();
  const [view, setView] = useState<EditorView | null>(null);
  const [, setVersion] = useState(0);
  const [linking, setLinking] = useState<{ from: number; to: number } | null>(null);
  const panel = useCommentsPanel((threads?.length ?? 0) > 0);
  const newComment = useRef<HTMLTextAreaElement>(null);

  /** Opens the comments with the new comment's box focused (on the selection, if there is one). */
  const requestComment = () => {
    panel.compose();
    requestAnimationFrame(() => newComment.current?.focus());
  };

  const requestLink = () => {
    if (!view) return;
    const range = visibleSelection(view);
    if (range.from < range.to) setLinking(range);
  };

  useEffect(() => {
    document.title = `${summary.title || 'Untitled'} — Hearth`;
    return () => {
      document.title = 'Hearth';
    };
  }, [summary.title]);

  // The toolbar and the comment form follow the editor's state, but React renders them on the
  // next frame, never inside ProseMirror's handling of a keystroke: rendering there let fast
  // typing in Chromium put the next character in front of the one just typed.
  const frame = useRef<number | null>(null);
  const presenceSender = useRef<((view: EditorView) => void) | null>(null);
  const shownView = useRef<EditorView | null>(null);
  const shownFacts = useRef('');
  const onUpdate = useCallback((next: EditorView | null) => {
    // Set only when the view itself changes: a set inside a keystroke's handling renders this
    // whole pane synchronously, before the keystroke can be painted.
    if (shownView.current !== next) {
      shownView.current = next;
      setView(next);
    }
    if (next) presenceSender.current?.(next);
    if (frame.current === null) {
      frame.current = requestAnimationFrame(() => {
        frame.current = null;
        const facts = shownView.current ? toolbarFacts(shownView.current.state) : '';
        if (facts === shownFacts.current) return;
        shownFacts.current = facts;
        setVersion((v) => v + 1);
      });
    }
  }, []);
  useEffect(() => () => void (frame.current !== null && cancelAnimationFrame(frame.current)), []);

  // Keep the comment highlights in step with the threads and the active one.
  useEffect(() => {
    if (!view) return;
    const anchors = (threads ?? []).filter((t) => !t.resolved && t.anchor).map((t) => ({ threadId: t.id, from: t.anchor!.from, to: t.anchor!.to }));
    dispatchFromOutside(view, (state) => setHighlights(state, replica.doc(), anchors, activeThreadId));
  }, [view, threads, activeThreadId, replica]);

  // Others' carets and selections, drawn when they move. Edits map them along (decorationLayer);
  // only a caret that points past the text this page has yet waits for a change to be drawn:
  // redrawing on every change read the whole text (~40 ms at 100k characters) per remote keystroke.
  useEffect(() => {
    if (!view) return;
    /** Draws them; returns how many still wait for text this page does not have yet. */
    const draw = () => {
      let waiting = 0;
      dispatchFromOutside(view, (state) => {
        const drawn = setPresenceDecorations(state, replica.doc(), present);
        waiting = drawn.waiting;
        return drawn.transaction;
      });
      return waiting;
    };
    if (draw() === 0) return;
    const redraw = () => {
      if (draw() === 0) replica.off('change', redraw);
    };
    replica.on('change', redraw);
    return () => replica.off('change', redraw);
  }, [view, present, replica]);

  // Where I am in a team document, for the others (as plain-text offsets, like comment anchors).
  // Sent from the editor's own updates, not from React's next frame, which a background window skips.
  const isTeam = workspace !== undefined && workspace.kind !== 'personal';
  const sentPresence = useRef<string>('');
  const presenceTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  presenceSender.current = (current: EditorView) => {
    if (!isTeam) return;
    if (presenceTimer.current) clearTimeout(presenceTimer.current);
    presenceTimer.current = setTimeout(() => {
      const { from, to } = current.state.selection;
      const range = pmRangeToAmRange(hearthSchemaAdapter, A.spans(replica.doc(), ['body']), { from, to });
      if (!range) return;
      const selection = { from: Math.min(range.start, range.end), to: Math.max(range.start, range.end) };
      const keyOf = `${selection.from}:${selection.to}`;
      if (keyOf === sentPresence.current) return;
      sentPresence.current = keyOf;
      void hearth().setPresence(initial.id, selection);
    }, 100);
  };
  useEffect(() => {
    if (!isTeam) return;
    return () => {
      if (presenceTimer.current) clearTimeout(presenceTimer.current);
      void hearth().setPresence(initial.id, null);
    };
  }, [isTeam, initial.id]);

  // Opened from a search hit: show where it matched (the text, or the comment), once.
  const found = useLibrary((s) => (s.found?.documentId === initial.id ? s.found : null));
  useEffect(() => {
    if (!found || !view) return;
    if (found.commentId) {
      if (threads === null) return;
      const thread = threads.find((t) => t.comments.some((c) => c.id === found.commentId));
      if (thread) {
        panel.compose();
        showThread(thread);
        requestAnimationFrame(() => document.querySelector('.thread-active')?.scrollIntoView({ block: 'nearest' }));
      }
    } else {
      showSearchMatch(view, found.query);
    }
    useLibrary.getState().clearFound();
  });
  const openThreads = threads?.filter((t) => !t.resolved).length ?? 0;
  const selection = view?.state.selection;
  const selectionQuote = selection && !selection.empty ? view.state.doc.textBetween(selection.from, selection.to, ' ') : null;

  const addComment = async (text: string) => {
    let anchor: { from: number; to: number } | undefined;
    if (view && !view.state.selection.empty) {
      const range = pmRangeToAmRange(hearthSchemaAdapter, A.spans(replica.doc(), ['body']), { from: view.state.selection.from, to: view.state.selection.to });
      if (range && range.end > range.start) anchor = { from: range.start, to: range.end };
    }
    // Main anchors against its copy of the text, so it must have every keystroke first.
    await replica.flush();
    await add(text, anchor);
  };

  const showThread = (thread: CommentThread) => {
    setActive(thread.id);
    if (!view || !thread.anchor) return;
    const range = pmRangeOf(replica.doc(), thread.anchor.from, thread.anchor.to);
    if (!range) return;
    view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, range.from, range.to)).scrollIntoView());
    view.focus();
  };

  return (
    <div className={panel.open || showHistory ? 'document-layout with-comments' : 'document-layout'}>
      <article className="document-pane" aria-label={summary.title || 'Untitled document'}>
        <header className="document-header">
          <TitleField key={initial.id} title={summary.title} readOnly={!permissions.write} onSave={(title) => updateDocument(initial.id, { title })} />
          <div className="document-header-row">
            <TagEditor
              tags={summary.tags}
              readOnly={!permissions.write}
              onChange={(tags) =>
                updateDocument(initial.id, { tags }).catch((error: unknown) => useUi.getState().notify(`The tags were not saved: ${messageOf(error)}`))
              }
              onFilter={(tag) => useLibrary.getState().filterByTag(tag)}
            />
            <SaveStatus replica={replica} />
            {present.length > 0 ? <PresentPeople entries={present} /> : null}
            {(permissions.manage && !byShare) || (workspace?.kind === 'personal' && !sharedRole) ? (
              <button type="button" className="button button-quiet" onClick={() => onShare(summary)}>
                <Share2 aria-hidden size={16} /> Share
              </button>
            ) : null}
            <button
              type="button"
              className="icon-button"
              aria-label={showHistory ? 'Hide history' : 'Show history'}
              title={showHistory ? 'Hide history' : 'History'}
              aria-pressed={showHistory}
              onClick={() => {
                if (!showHistory && panel.open) panel.toggle();
                setShowHistory(!showHistory);
              }}
            >
              <History aria-hidden size={18} />
            </button>
            <button
              type="button"
              className="icon-button comments-toggle"
              aria-label={panel.open ? 'Hide comments' : openThreads > 0 ? `Show comments, ${openThreads} open` : 'Show comments'}
              title={panel.open ? 'Hide comments' : 'Show comments'}
              aria-pressed={panel.open}
              onClick={() => {
                setShowHistory(false);
                panel.toggle();
              }}
            >
              <PanelRight aria-hidden size={18} />
              {!panel.open && openThreads > 0 ? <span aria-hidden>{openThreads}</span> : null}
            </button>
          </div>
        </header>
        {permissions.write ? (
          <EditorToolbar view={view} onLink={requestLink} onComment={requestComment} />
        ) : (
          <p className="role-notice" role="note">
            {permissions.role
              ? `${byShare ? `This document was shared with you as ${roleLabels[permissions.role]}` : `You are ${roleWithArticle(permissions.role)} in ${workspace?.name ?? 'this workspace'}`}: ${permissions.comment ? 'you can comment, but not change the text.' : 'you can read this document, but not change it or comment.'}`
              : `You are no longer a member of ${workspace?.name ?? 'this workspace'}: this copy is read-only.`}
          </p>
        )}
        {workspace && teamId ? <PausedBanner workspace={workspace} /> : null}
        <div className="editor-scroll">
          <Editor
            replica={replica}
            workspaceId={initial.workspaceId}
            editable={permissions.write}
            onUpdate={onUpdate}
            onLinkRequest={requestLink}
            onCommentRequest={requestComment}
            onThreadClick={(id) => setActive(id)}
          />
        </div>
      </article>
      {showHistory ? (
        <HistoryPanel
          documentId={initial.id}
          replica={replica}
          canRestore={permissions.write}
          canErase={permissions.delete && !byShare}
          onClose={() => setShowHistory(false)}
        />
      ) : null}
      {panel.open && !showHistory ? (
        <CommentsPanel
          ref={newComment}
          names={names}
          avatars={avatars}
          canComment={permissions.comment}
          role={permissions.role}
          selectionQuote={selectionQuote}
          onAdd={addComment}
          onShowThread={showThread}
        />
      ) : null}
      {linking ? (
        <NameDialog
          title="Link"
          label="Link address (https://…)"
          submitLabel="Set link"
          maxLength={2000}
          onSubmit={async (address) => {
            const href = safeHref(address) ?? safeHref(`https://${address}`);
            if (!href) throw new Error('Type a web address that starts with https:// or http://, or a mailto: address.');
            if (view) setLink(href, linking)(view.state, view.dispatch);
          }}
          onClose={() => {
            setLinking(null);
            view?.focus();
          }}
        />
      ) : null}
    </div>
  );
}

/** The title, saved as you type (after a short pause) and when you leave the field. */
function TitleField({ title, onSave, readOnly }: { title: string; onSave: (title: string) => Promise<void>; readOnly: boolean }) {
  const [draft, setDraft] = useState(title);
  const [problem, setProblem] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(title);
  const field = useRef<HTMLInputElement>(null);
  // A title changed elsewhere (another window, the CLI) shows here unless the user is typing one.
  useEffect(() => {
    if (title !== latest.current && document.activeElement !== field.current) {
      latest.current = title;
      setDraft(title);
    }
  }, [title]);
  const save = (value: string) => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    if (value === latest.current) return;
    latest.current = value;
    onSave(value).then(
      () => setProblem(null),
      (error: unknown) => setProblem(`The title was not saved: ${messageOf(error)}`),
    );
  };
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  return (
    <>
      <input
        ref={field}
        className="title-input"
        value={draft}
        placeholder="Untitled"
        aria-label="Title"
        maxLength={500}
        readOnly={readOnly}
        autoFocus={title === '' && !readOnly}
        onChange={(e) => {
          const value = e.target.value;
          setDraft(value);
          if (timer.current) clearTimeout(timer.current);
          timer.current = setTimeout(() => save(value), 400);
        }}
        // The field's own value, not the last render's state: Enter can come before React re-rendered.
        onBlur={(e) => save(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            save(e.currentTarget.value);
            document.querySelector<HTMLElement>('.editor-host .ProseMirror')?.focus();
          }
        }}
      />
      <FormError problem={problem} />
    </>
  );
}

/**
 * "Saving…" while a save is on its way, "Saved" once main has it: it never claims a keystroke is
 * saved before it is. It changes twice per key, so it is laid out on its own (styles.css
 * `contain`) and is not a live region: a screen reader hears a failure (role="alert"), not every
 * keystroke's save.
 */
function SaveStatus({ replica }: { replica: DocumentReplica }) {
  const [state, setState] = useState<SaveState>({ kind: 'saved' });
  useEffect(() => replica.onSaveState(setState), [replica]);
  if (state.kind === 'failed') {
    return (
      <span className="save-status save-status-failed" role="alert">
        Not saved: {state.message}{' '}
        <button type="button" className="button button-quiet" onClick={() => replica.retry()}>
          Retry
        </button>
      </span>
    );
  }
  return <span className="save-status muted">{state.kind === 'saving' ? 'Saving…' : 'Saved'}</span>;
}

const NOBODY: PresenceEntry[] = [];

/** The other people in the document now, each in the colour of their caret. */
function PresentPeople({ entries }: { entries: PresenceEntry[] }) {
  return (
    <ul className="present-people" aria-label="Also in this document">
      {entries.map((entry) => (
        <li key={entry.account} className={`present presence-${colorOf(entry.account)}`} title={`${entry.displayName} (@${entry.username}) is here`}>
          <Avatar name={entry.displayName || entry.username} src={entry.avatar} />
          <span className="visually-hidden">{entry.displayName || entry.username}</span>
        </li>
      ))}
    </ul>
  );
}

export function NoDocument() {
  return (
    <section className="document-pane document-pane-message" aria-label="Document">
      <div className="empty-state">
        <FileText aria-hidden size={40} />
        <p>Choose a document, or make a new one.</p>
      </div>
    </section>
  );
}
