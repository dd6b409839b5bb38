/**
 * The shortest edit script between two sequences of numbers (Myers, "An O(ND) Difference
 * Algorithm and Its Variations", 1986), for the Markdown → document diff. Elements are interned
 * tokens or blocks, so comparing two is comparing two numbers.
 */

export interface EditRun {
  kind: 'equal' | 'delete' | 'insert';
  length: number;
}

/**
 * Runs that turn `before` into `after`, or null when they differ by more than `maxEdits` elements
 * (time grows with N × edits and memory with edits², so a caller falls back to `replaceMiddle`).
 */
export function shortestEdit(before: ArrayLike<number>, after: ArrayLike<number>, maxEdits: number): EditRun[] | null {
  const { prefix, suffix } = commonEnds(before, after);
  const n = before.length - prefix - suffix;
  const m = after.length - prefix - suffix;
  if (Math.abs(n - m) > maxEdits) return null;
  const middle = middleEdit(before, after, prefix, n, m, maxEdits);
  if (middle === null) return null;
  const runs = new RunList();
  runs.add('equal', prefix);
  for (const run of middle) runs.add(run.kind, run.length);
  runs.add('equal', suffix);
  return runs.runs;
}

/** The coarse answer: what lies between the common prefix and suffix, deleted and inserted as a whole. */
export function replaceMiddle(before: ArrayLike<number>, after: ArrayLike<number>): EditRun[] {
  const { prefix, suffix } = commonEnds(before, after);
  const runs = new RunList();
  runs.add('equal', prefix);
  runs.add('delete', before.length - prefix - suffix);
  runs.add('insert', after.length - prefix - suffix);
  runs.add('equal', suffix);
  return runs.runs;
}

function commonEnds(before: ArrayLike<number>, after: ArrayLike<number>): { prefix: number; suffix: number } {
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix++;
  let suffix = 0;
  while (suffix < before.length - prefix && suffix < after.length - prefix && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) {
    suffix++;
  }
  return { prefix, suffix };
}

class RunList {
  readonly runs: EditRun[] = [];
  add(kind: EditRun['kind'], length: number): void {
    if (length === 0) return;
    const last = this.runs[this.runs.length - 1];
    if (last?.kind === kind) last.length += length;
    else this.runs.push({ kind, length });
  }
}

/**
 * Myers' greedy search over diagonals k = x − y, where x counts elements of `before` consumed and
 * y elements of `after`. `furthest[k]` is the furthest x reached on diagonal k with d edits; a copy
 * per d lets the path be walked back. Returns null past `maxEdits`.
 */
function middleEdit(before: ArrayLike<number>, after: ArrayLike<number>, offset: number, n: number, m: number, maxEdits: number): EditRun[] | null {
  if (n === 0 && m === 0) return [];
  const limit = Math.min(n + m, maxEdits);
  const centre = limit + 1;
  const furthest = new Int32Array(2 * limit + 3);
  // history[d] holds furthest[-d..d] as it was before round d.
  const history: Int32Array[] = [];
  for (let d = 0; d <= limit; d++) {
    history.push(furthest.slice(centre - d, centre + d + 1));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && furthest[centre + k - 1]! < furthest[centre + k + 1]!);
      let x = down ? furthest[centre + k + 1]! : furthest[centre + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && before[offset + x] === after[offset + y]) {
        x++;
        y++;
      }
      furthest[centre + k] = x;
      if (x >= n && y >= m) return walkBack(history, d, n, m);
    }
  }
  return null;
}

function walkBack(history: readonly Int32Array[], edits: number, n: number, m: number): EditRun[] {
  const reversed: EditRun[] = [];
  let x = n;
  let y = m;
  for (let d = edits; d > 0; d--) {
    const previous = history[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && previous[k - 1 + d]! < previous[k + 1 + d]!);
    const previousK = down ? k + 1 : k - 1;
    const previousX = previous[previousK + d]!;
    const previousY = previousX - previousK;
    const snakeStart = down ? previousX : previousX + 1;
    if (x > snakeStart) reversed.push({ kind: 'equal', length: x - snakeStart });
    reversed.push({ kind: down ? 'insert' : 'delete', length: 1 });
    x = previousX;
    y = previousY;
  }
  if (x > 0) reversed.push({ kind: 'equal', length: x });
  const runs = new RunList();
  for (let index = reversed.length - 1; index >= 0; index--) runs.add(reversed[index]!.kind, reversed[index]!.length);
  return runs.runs;
}
