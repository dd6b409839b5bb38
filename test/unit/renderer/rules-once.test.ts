// DESIGN.md: a rule lives once in common/ and the renderer imports it rather than restating it.
// This reads every renderer source file for copies of the role rules, the role wording, the
// username rule and the API constants, checks the files that apply role rules import them from
// common/roles.ts, and checks the page's permissions are common/roles.ts's, role by role.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Roles, permissionsOfRole } from '../../../common/roles.ts';
import { permissionsOf } from '../../../renderer/state/team.ts';

const root = join(import.meta.dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

const renderer = sources(join(root, 'renderer')).map((path) => ({ file: relative(root, path), text: readFileSync(path, 'utf8') }));

/** Object literals with three or more role names as keys: a table per role (labels, help, permissions). */
function roleTables(text: string): string[] {
  const keyed = new RegExp(`\\b(${Roles.join('|')})\\s*:`, 'g');
  return [...text.matchAll(/\{[^{}]*\}/g)].map((m) => m[0]).filter((literal) => new Set([...literal.matchAll(keyed)].map((k) => k[1])).size >= 3);
}

describe('the renderer restates no rule that lives in common/', () => {
  it('has no table per role (labels, help, permissions): they are common/roles.ts’s', () => {
    expect(renderer.flatMap(({ file, text }) => roleTables(text).map((t) => `${file}: ${t.slice(0, 80)}`))).toEqual([]);
  });

  it('defines no role rule or role wording of its own', () => {
    const own =
      /\bfunction\s+(can[A-Z]\w*|permissionsOfRole|assignableRoles|article|capital|roleName|roleWithArticle)\s*\(|\bconst\s+(can[A-Z]\w*|article|capital|roleName)\s*=/;
    expect(renderer.filter(({ text }) => own.test(text)).map(({ file }) => file)).toEqual([]);
  });

  it('has no copy of the username rule or the browser-mode API constants', () => {
    expect(renderer.filter(({ text }) => /\[a-z0-9\]\[a-z0-9|\{1,31\}/.test(text)).map(({ file }) => file)).toEqual([]);
    expect(renderer.filter(({ text }) => /['"]hearth-api['"]|API_PATH\s*=|API_SUBPROTOCOL\s*=/.test(text)).map(({ file }) => file)).toEqual([]);
  });

  it('takes the role rules, wording and username rule from common/ where it applies them', () => {
    const importsFrom = (file: string, module: string) => new RegExp(`from '(\\.\\./)+common/${module}'`).test(renderer.find((r) => r.file === file)!.text);
    for (const file of [
      'renderer/state/team.ts',
      'renderer/components/CommentsPanel.tsx',
      'renderer/components/team/MembersDialog.tsx',
      'renderer/components/team/ShareDialog.tsx',
      'renderer/components/DocumentPane.tsx',
    ]) {
      expect(importsFrom(file, 'roles.ts'), file).toBe(true);
    }
    for (const file of ['renderer/screens/FirstRunScreen.tsx', 'renderer/components/team/MembersDialog.tsx'])
      expect(importsFrom(file, 'username.ts'), file).toBe(true);
  });

  it('shows each role exactly the permissions common/roles.ts gives it', () => {
    for (const role of Roles) {
      expect(permissionsOf({ id: 'w', name: 'Team', kind: 'team', createdAt: 0, relay: 'ws://127.0.0.1:1', role }), role).toEqual(permissionsOfRole(role));
    }
    expect(permissionsOf({ id: 'w', name: 'Team', kind: 'team', createdAt: 0, relay: 'ws://127.0.0.1:1' })).toEqual(permissionsOfRole(undefined));
  });
});
