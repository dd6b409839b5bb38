/** The automerge-paper editing trace (shared/data/editing-traces): its edits and its final text. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export type Patch = [pos: number, del: number, text: string];

const TRACE = new URL('../../shared/data/editing-traces/automerge-paper.json.gz', import.meta.url);

/** Every edit of the trace in order (259,778 of them) and the text they end with. */
export function loadTrace(): { patches: Patch[]; endContent: string } {
  const trace = JSON.parse(gunzipSync(readFileSync(TRACE)).toString()) as { txns: Array<{ patches: Patch[] }>; endContent: string };
  return { patches: trace.txns.flatMap((t) => t.patches), endContent: trace.endContent };
}

/** The trace's final text: Martin Kleppmann's LaTeX paper, about 104k characters. */
export function traceText(): string {
  return loadTrace().endContent;
}
