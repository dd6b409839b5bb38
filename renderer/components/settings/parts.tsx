/** Small pieces the "your data" settings sections share: a message line, a task's busy state, a progress bar, a data-folder picker. */
import { useEffect, useId, useState } from 'react';
import type { DataItem } from '../../../common/api/contract.ts';
import { call, hearth, messageOf } from '../../state/api.ts';
import { useProgress, type Progress } from '../../state/progress.ts';
import { formatSize, formatWhen } from '../format.ts';
import { FormError } from '../Field.tsx';

export type Message = { ok: boolean; text: string } | null;

export function MessageLine({ message }: { message: Message }) {
  if (!message) return null;
  return (
    <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'form-ok' : 'form-error'}>
      {message.text}
    </p>
  );
}

/**
 * Busy + the message line around one task. `run(work)` clears the message, shows what `work`
 * resolves to as the ok message, then runs `after`; a failure shows `describe(error)`. Busy ends either way.
 */
export function useTask() {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  const run = async (work: () => Promise<string>, options: { after?: () => unknown; describe?: (error: unknown) => string } = {}) => {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ ok: true, text: await work() });
      await options.after?.();
    } catch (error) {
      setMessage({ ok: false, text: (options.describe ?? messageOf)(error) });
    } finally {
      setBusy(false);
    }
  };
  return { busy, message, setMessage, run };
}

const phaseNames: Record<string, string> = {
  starting: 'Starting',
  documents: 'Documents',
  files: 'Files',
  encrypting: 'Encrypting',
  decrypting: 'Decrypting',
  done: 'Finishing',
};

function describe(progress: Progress): string {
  const phase = phaseNames[progress.phase] ?? progress.phase;
  if (progress.total <= 0) return `${phase}…`;
  const bytes = progress.phase === 'files' || progress.phase === 'encrypting' || progress.phase === 'decrypting';
  return bytes ? `${phase}: ${formatSize(progress.done)} of ${formatSize(progress.total)}` : `${phase}: ${progress.done} of ${progress.total}`;
}

/** The progress of one task while `active`; main's events drive it. */
export function TaskProgress({ task, active, label }: { task: Progress['task']; active: boolean; label: string }) {
  const progress = useProgress((s) => s.tasks[task]);
  if (!active) return null;
  const value = progress && progress.total > 0 ? Math.min(progress.done, progress.total) : undefined;
  return (
    <div className="task-progress">
      <progress aria-label={label} max={progress && progress.total > 0 ? progress.total : undefined} value={value} />
      <span className="muted" aria-live="polite">
        {progress ? describe(progress) : 'Starting…'}
      </span>
    </div>
  );
}

const kindNames: Record<DataItem['kind'], string> = { export: 'Hearth export', backup: 'Encrypted backup', markdown: 'Markdown folder' };

/**
 * Chooses something to read: an item of the data folder (main lists it), or a full path typed by
 * the user. The page never reads the file itself; it hands main the name or the path.
 */
export function DataPicker({
  kinds,
  value,
  onChange,
  refreshKey,
  legend,
}: {
  kinds: Array<DataItem['kind']>;
  value: string;
  onChange: (path: string) => void;
  refreshKey?: unknown;
  legend: string;
}) {
  const [folder, setFolder] = useState<{ dir: string; items: DataItem[] } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [typed, setTyped] = useState(false);
  const typedId = useId();
  useEffect(() => {
    call(hearth().dataFolder()).then(
      (f) => setFolder(f),
      (error: unknown) => setProblem(messageOf(error)),
    );
  }, [refreshKey]);
  const items = folder?.items.filter((i) => kinds.includes(i.kind)) ?? [];
  return (
    <fieldset className="data-picker">
      <legend>{legend}</legend>
      <FormError problem={problem} />
      {folder ? (
        <p className="field-hint">
          Found in <code className="path">{folder.dir}</code>
        </p>
      ) : null}
      {folder && items.length === 0 ? <p className="muted">Nothing there yet.</p> : null}
      {items.length > 0 ? (
        <ul className="data-items">
          {items.map((item) => (
            <li key={item.path}>
              <label className="radio">
                <input
                  type="radio"
                  name={`${legend}-item`}
                  value={item.path}
                  checked={!typed && value === item.path}
                  onChange={() => {
                    setTyped(false);
                    onChange(item.path);
                  }}
                />
                <span className="data-item-name">{item.name}</span>
                <span className="muted">
                  {kindNames[item.kind]}
                  {item.format === 'zip' ? ' (.zip)' : ''} · {formatSize(item.bytes)} · {formatWhen(item.modifiedAt)}
                </span>
              </label>
            </li>
          ))}
        </ul>
      ) : null}
      <label className="radio">
        <input
          type="radio"
          name={`${legend}-item`}
          checked={typed}
          onChange={() => {
            setTyped(true);
            onChange('');
          }}
        />
        Another place on this computer
      </label>
      {typed ? (
        <label className="field" htmlFor={typedId}>
          <span>Full path (starting with / or ~/)</span>
          <input id={typedId} value={value} onChange={(e) => onChange(e.target.value)} placeholder="~/Downloads/hearth-export" spellCheck={false} />
        </label>
      ) : null}
    </fieldset>
  );
}
