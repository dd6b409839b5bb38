// The sync engine's modules (main/sync/) stay rooms one can hold in one's head: none grows back
// past 600 lines, and the facade stays thin. (That they import only downwards, with no cycle, is
// the lint's hearth/no-import-cycle rule.)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const folder = join(process.cwd(), 'main/sync');
const modules = readdirSync(folder).filter((name) => name.endsWith('.ts'));

describe('main/sync modules', () => {
  it('keeps every module under 600 lines, the facade under 400', () => {
    const lengths = Object.fromEntries(modules.map((name) => [name, readFileSync(join(folder, name), 'utf8').split('\n').length]));
    expect(modules.length).toBeGreaterThan(20);
    expect(Object.entries(lengths).filter(([, lines]) => lines > 600)).toEqual([]);
    expect(lengths['engine.ts']).toBeLessThan(400);
  });

  it('lets the facade reach the modules only through the assembly (types aside)', () => {
    const source = readFileSync(join(folder, 'engine.ts'), 'utf8');
    const valueImports = [...source.matchAll(/^import (?!type )[^;]*?from '\.\/([\w-]+\.ts)';/gms)].map((m) => m[1]);
    expect(valueImports.filter((name) => name !== 'assembly.ts' && name !== 'links.ts')).toEqual([]);
  });
});
