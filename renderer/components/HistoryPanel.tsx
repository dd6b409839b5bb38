/**
 * A document's history beside it: versions by day, author and time; a preview of one with what
 * changed since highlighted; Restore (a new edit every member receives); and Erase edit history,
 * asked first, after which the document keeps what it says and no earlier version anywhere.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Eraser, RotateCcw, X } from 'lucide-react';
import type { DocumentHistory, DocumentVersion, VersionPreview } from '../../common/api/history.ts';
import { call, hearth, messageOf } from '../state/api.ts';
import type { DocumentReplica } from '../editor/replica.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { FormError } from './Field.tsx';
import { formatExact } from './format.ts';

interface HistoryPanelProps {
  documentId: string;
  replica: DocumentReplica;
  /** Whether this person may edit the document (and so restore a version). */
  canRestore: boolean;
  /** Whether this person may erase its edit history (the person in a personal workspace; Owner or Admin in a team). */
  canErase: boolean;
  onClose: () => void;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

function dayOf(at: number): string {
  const today = new Date();
  const day = new Date(at);
  if (day.toDateString() === today.toDateString()) return 'Today';
  today.setDate(today.getDate() - 1);
  if (day.toDateString() === today.toDateString()) return 'Yesterday';
  return dayFormat.format(at);
}

/** Versions under the day they were made, newest first. */
function byDay(versions: readonly DocumentVersion[]): Array<[string, DocumentVersion[]]> {
  const days = new Map<string, DocumentVersion[]>();
  for (const version of versions) {
    const day = dayOf(version.to);
    days.set(day, [...(days.get(day) ?? []), version]);
  }
  return [...days];
}

function timeRange(version: DocumentVersion): string {
  const to = timeFormat.format(version.to);
  const from = timeFormat.format(version.from);
  return from === to ? to : `${from}–${to}`;
}

export function HistoryPanel({ documentId, replica, canRestore, canErase, onClose }: HistoryPanelProps) {
  const [history, setHistory] = useState<DocumentHistory | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [preview, setPreview] = useState<VersionPreview | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [erasing, setErasing] = useState(false);

  const load = useCallback(async () => {
    try {
      // Main lists what it has: every keystroke of this page first.
      await replica.flush();
      setHistory(await call(hearth().documentHistory(documentId)));
      setProblem(null);
    } catch (error) {
      setProblem(`The history could not be read: ${messageOf(error)}`);
    }
  }, [documentId, replica]);

  // Read again a moment after the document changes (here or elsewhere), not on every keystroke.
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    void load();
    const later = () => {
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => void load(), 800);
    };
    replica.on('change', later);
    return () => {
      replica.off('change', later);
      if (timer.current) clearTimeout(timer.current);
    };
  }, [load, replica]);

  useEffect(() => {
    if (!selected) {
      setPreview(null);
      return;
    }
    let cancelled = false;
    call(hearth().previewVersion(documentId, selected)).then(
      (found) => !cancelled && setPreview(found),
      (error: unknown) => !cancelled && setProblem(`That version could not be shown: ${messageOf(error)}`),
    );
    return () => {
      cancelled = true;
    };
  }, [documentId, selected, history]);

  const restore = async (version: DocumentVersion) => {
    setBusy(true);
    try {
      await replica.flush();
      await call(hearth().restoreVersion(documentId, version.id));
      setSelected(null);
      await load();
    } catch (error) {
      setProblem(`The version was not restored: ${messageOf(error)}`);
    } finally {
      setBusy(false);
    }
  };

  const erase = async () => {
    await replica.flush();
    await call(hearth().forgetHistory(documentId));
    setSelected(null);
    // The page opens the document again (documentReplaced); this panel reads the one version left.
    await load();
  };

  return (
    <aside className="comments history-panel" aria-labelledby="history-heading">
      <div className="history-heading-row">
        <h2 id="history-heading" className="panel-heading">
          History
        </h2>
        <button type="button" className="icon-button" aria-label="Close history" title="Close history" onClick={onClose}>
          <X aria-hidden size={16} />
        </button>
      </div>
      <FormError problem={problem} />
      {history === null ? <p className="muted">Reading the history…</p> : null}
      {history ? (
        <ol className="history-days" aria-label="Versions">
          {byDay(history.versions).map(([day, versions]) => (
            <li key={day}>
              <h3 className="history-day">{day}</h3>
              <ol className="history-versions">
                {versions.map((version) => (
                  <li key={version.id}>
                    <button
                      type="button"
                      className={version.id === selected ? 'history-version selected' : 'history-version'}
                      aria-pressed={version.id === selected}
                      title={`${formatExact(version.from)} – ${formatExact(version.to)}`}
                      onClick={() => setSelected(version.id === selected ? null : version.id)}
                    >
                      <span className="history-version-who">{version.author.name}</span>
                      <span className="history-version-when">{timeRange(version)}</span>
                      <span className="history-version-what muted">
                        {version.base
                          ? 'Earlier history erased'
                          : version.current
                            ? 'Current version'
                            : `${version.changes} ${version.changes === 1 ? 'edit' : 'edits'}`}
                      </span>
                    </button>
                  </li>
                ))}
              </ol>
            </li>
          ))}
        </ol>
      ) : null}
      {preview ? (
        <section className="history-preview" aria-label={`Version of ${formatExact(preview.version.to)}`}>
          <h3 className="history-preview-title">{preview.title || 'Untitled'}</h3>
          <p className="history-legend muted">
            <mark className="since-removed">Highlighted</mark>: gone since. <ins className="since-added">Underlined</ins>: added since.
          </p>
          <div className="history-text" data-testid="version-preview">
            {preview.changes.map((segment, index) =>
              segment.kind === 'same' ? (
                <span key={index}>{segment.text}</span>
              ) : segment.kind === 'removed' ? (
                <mark key={index} className="since-removed">
                  {segment.text}
                </mark>
              ) : (
                <ins key={index} className="since-added">
                  {segment.text}
                </ins>
              ),
            )}
          </div>
          {canRestore && !preview.version.current ? (
            <button type="button" className="button" disabled={busy} onClick={() => void restore(preview.version)}>
              <RotateCcw aria-hidden size={16} /> {busy ? 'Restoring…' : 'Restore this version'}
            </button>
          ) : null}
        </section>
      ) : null}
      {canErase && history && history.versions.some((v) => !v.base) ? (
        <button type="button" className="button button-danger history-erase" onClick={() => setErasing(true)}>
          <Eraser aria-hidden size={16} /> Erase edit history
        </button>
      ) : null}
      {erasing ? (
        <ConfirmDialog
          title="Erase this document's edit history?"
          description="It keeps what it says now. Every earlier version, and any text deleted before, is erased for good: on this device, at the relay and on every member's device. This cannot be undone."
          confirmLabel="Erase edit history"
          onConfirm={erase}
          onClose={() => setErasing(false)}
        />
      ) : null}
    </aside>
  );
}
