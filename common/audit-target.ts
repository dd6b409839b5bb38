/**
 * What an audit entry is about, in words a person reads: workspaces and documents by their names,
 * members by their usernames, never bare ids. The log stores targets as ids (`workspace`,
 * `workspace/username`, `workspace/username:role`, `workspace/document/link`, `document/username`);
 * the caller says which names it still knows.
 */
export interface AuditNames {
  workspace(id: string): string | undefined;
  document(id: string): string | undefined;
}

const roleWords: Record<string, string> = { owner: 'Owner', admin: 'Admin', editor: 'Editor', commenter: 'Commenter', viewer: 'Viewer' };

export function describeAuditTarget(action: string, target: string | undefined, names: AuditNames): string | undefined {
  if (target === undefined) return undefined;
  const workspace = (id: string) => names.workspace(id) ?? 'a workspace no longer on this device';
  const document = (id: string) => {
    const title = names.document(id);
    return title === undefined ? 'a document no longer on this device' : `“${title || 'Untitled'}”`;
  };
  const person = (username: string) => (username === 'deleted-account' ? 'a deleted account' : `@${username}`);
  const parts = target.split('/');
  switch (action) {
    case 'workspace.created':
    case 'workspace.deleted':
    case 'workspace.device_sync_on':
    case 'workspace.device_sync_off':
      return workspace(target);
    case 'member.invited':
    case 'member.removed':
      return parts.length === 2 ? `${person(parts[1]!)} in ${workspace(parts[0]!)}` : target;
    case 'member.role_changed': {
      const [username, role] = (parts[1] ?? '').split(':');
      return parts.length === 2 && username && role ? `${person(username)} in ${workspace(parts[0]!)}, now ${roleWords[role] ?? role}` : target;
    }
    case 'document.deleted':
    case 'document.shared':
      return document(target);
    case 'document.unshared':
      return parts.length === 2 ? `${document(parts[0]!)}, no longer shared with ${person(parts[1]!)}` : target;
    case 'link.created':
    case 'link.revoked':
      return parts.length === 3 ? `a public link to ${document(parts[1]!)} in ${workspace(parts[0]!)}` : target;
    case 'device.added':
    case 'device.approved':
    case 'device.revoked':
      // Devices by the name they were given; this vault's own first entry already says "this device (…)".
      return target.startsWith('this device') ? target : `the device “${target}”`;
    case 'device.declined':
      return `a request to join from “${target}”`;
    case 'comment.deleted':
      return 'a comment';
    case 'file.deleted':
      return 'a file';
    case 'export':
      if (target === 'all') return 'every workspace';
      return names.workspace(target) ?? target;
    default:
      // Free text already (an import's counts, a relay's address, why an unlock failed, what a setting became).
      return target;
  }
}
