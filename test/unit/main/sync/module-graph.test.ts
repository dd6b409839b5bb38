// The sync engine's modules (main/sync/) import each other only downwards: no cycle, counting
// type-only imports too, so each module can be read, changed and tested on its own; and none of
// them grows back into a file nobody can hold in their head.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const folder = join(process.cwd(), 'main/sync');
const modules = readdirSync(folder).filter((name) => name.endsWith('.ts'));

/** The main/sync modules a module imports (with `import`, `import type` or `export … from`). */
function importsOf(name: string): string[] {
  const source = readFileSync(join(folder, name), 'utf8');
  const found = [...source.matchAll(/^(?:import|export)\b[^;]*?from '\.\/([\w-]+\.ts)';/gms)].map((m) => m[1]!);
  return [...new Set(found)];
}

/** A cycle through `start` as a list of modules, or undefined. */
function cycleFrom(start: string, graph: Map<string, string[]>): string[] | undefined {
  const path: string[] = [];
  const onPath = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string): string[] | undefined => {
    if (onPath.has(name)) return [...path.slice(path.indexOf(name)), name];
    if (done.has(name)) return undefined;
    path.push(name);
    onPath.add(name);
    for (const next of graph.get(name) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    onPath.delete(name);
    done.add(name);
    return undefined;
  };
  return visit(start);
}

describe('main/sync module graph', () => {
  const graph = new Map(modules.map((name) => [name, importsOf(name)]));

  it('reads the imports it checks (the facade imports the assembly, which imports every module)', () => {
    expect(graph.get('engine.ts')).toContain('assembly.ts');
    for (const name of ['spaces.ts', 'status.ts', 'outbox.ts', 'inbound.ts', 'rounds.ts', 'sharing.ts']) expect(graph.get('assembly.ts')).toContain(name);
  });

  it('has no import cycle', () => {
    const cycles = modules.map((name) => cycleFrom(name, graph)).filter((cycle) => cycle !== undefined);
    expect(cycles.map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('finds a cycle when there is one (the check is not vacuous)', () => {
    const withCycle = new Map(graph);
    withCycle.set('spaces.ts', [...(graph.get('spaces.ts') ?? []), 'rounds.ts']);
    expect(cycleFrom('rounds.ts', withCycle)).toBeDefined();
  });

  it('keeps every module under 600 lines, the facade well under', () => {
    const lengths = Object.fromEntries(modules.map((name) => [name, readFileSync(join(folder, name), 'utf8').split('\n').length]));
    expect(Object.entries(lengths).filter(([, lines]) => lines > 600)).toEqual([]);
    expect(lengths['engine.ts']).toBeLessThan(400);
  });
});
