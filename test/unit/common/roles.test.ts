// The rules common/roles.ts adds beyond DESIGN.md's table (comments, pickers, wording), each
// against an independent copy of what the brief decided, and the permissions the UI and the use
// cases read, against the table itself.
import { describe, expect, it } from 'vitest';
import * as roles from '../../../common/roles.ts';
import type { Role } from '../../../common/roles.ts';

// Resolve: [a thread someone else started, a thread I started]. Delete: [someone else's comment, my own].
const comments: Record<Role, { resolve: [boolean, boolean]; delete: [boolean, boolean] }> = {
  owner: { resolve: [true, true], delete: [true, true] },
  admin: { resolve: [true, true], delete: [true, true] },
  editor: { resolve: [true, true], delete: [false, true] },
  commenter: { resolve: [false, true], delete: [false, true] },
  viewer: { resolve: [false, false], delete: [false, true] },
};

describe('comment rules', () => {
  it.each(roles.Roles)('%s resolves and deletes exactly what was decided', (role) => {
    expect([roles.canResolveThread(role, false), roles.canResolveThread(role, true)]).toEqual(comments[role].resolve);
    expect([roles.canDeleteComment(role, false), roles.canDeleteComment(role, true)]).toEqual(comments[role].delete);
  });
});

describe('permissions and pickers', () => {
  it.each(roles.Roles)('%s: the permissions the UI shows are the table’s', (role) => {
    expect(roles.permissionsOfRole(role)).toEqual({
      role,
      write: roles.canWriteContent(role),
      comment: roles.canComment(role),
      delete: roles.canDeleteContent(role),
      manage: roles.canManageMembers(role),
      owner: roles.canDeleteSpace(role) && roles.canTransferOwnership(role),
    });
  });

  it('no role (removed) allows nothing', () => {
    expect(roles.permissionsOfRole(undefined)).toEqual({ role: null, write: false, comment: false, delete: false, manage: false, owner: false });
  });

  it('an Owner may give any role, an Admin every role but Owner, the others none', () => {
    expect(roles.assignableRoles('owner')).toEqual(['owner', 'admin', 'editor', 'commenter', 'viewer']);
    expect(roles.assignableRoles('admin')).toEqual(['admin', 'editor', 'commenter', 'viewer']);
    for (const role of ['editor', 'commenter', 'viewer', null] as const) expect(roles.assignableRoles(role)).toEqual([]);
  });
});

describe('wording', () => {
  it('names each role with its article', () => {
    expect(roles.Roles.map(roles.roleWithArticle)).toEqual(['an Owner', 'an Admin', 'an Editor', 'a Commenter', 'a Viewer']);
    expect(Object.keys(roles.roleSummaries).sort()).toEqual([...roles.Roles].sort());
  });
});
