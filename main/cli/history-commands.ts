/** `hearth history`: a document's versions, one version's text, restoring one. The History panel's use cases (main/usecases/history.ts). */
import type { DocumentVersion } from '../../common/api/history.ts';
import { parseRetention, RETENTION_LABELS } from '../../common/history/retention.ts';
import * as history from '../usecases/history.ts';
import { print, table, when, withUseCases, type Command } from './invocation.ts';

function who(version: DocumentVersion): string {
  return version.author.username && !version.author.you ? `${version.author.name} (@${version.author.username})` : version.author.name;
}

function what(version: DocumentVersion): string {
  if (version.base) return 'state before this, history erased';
  return `${version.changes} edit${version.changes === 1 ? '' : 's'}${version.current ? ', current' : ''}`;
}

export const historyCommands: Record<string, Command> = {
  'history list': {
    usage: 'hearth history list DOC   (versions, newest first: by author, a new one after 5 minutes without edits)',
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, (u) => {
        const found = history.documentHistory(u, call.positionals[0]!);
        print(call, found, () => table([['VERSION', 'WHEN', 'WHO', 'WHAT'], ...found.versions.map((v) => [v.id.slice(0, 12), when(v.to), who(v), what(v)])]));
      }),
  },
  'history show': {
    usage: 'hearth history show DOC VERSION   (the document at that version, as Markdown; --json adds what changed since)',
    positionals: [2, 2],
    run: (call) =>
      withUseCases(call, (u) => {
        const preview = history.previewVersion(u, call.positionals[0]!, call.positionals[1]!);
        print(call, preview, () => preview.markdown);
      }),
  },
  'history restore': {
    usage: 'hearth history restore DOC VERSION   (one new edit makes the document say what it said then; every member receives it)',
    positionals: [2, 2],
    run: (call) =>
      withUseCases(call, (u) => {
        const id = call.positionals[0]!;
        const { version, changes } = history.restoreVersion(u, id, call.positionals[1]!);
        const summary = u.vault.documents.summary(id);
        print(call, { ...summary, restored: version.id, changed: changes.length > 0 }, () =>
          changes.length > 0
            ? `Restored ${summary.title || 'Untitled'} to the version of ${when(version.to)} by ${who(version)}.\n`
            : `${summary.title || 'Untitled'} already says what it said then; nothing changed.\n`,
        );
      }),
  },
  'history forget': {
    usage: 'hearth history forget DOC   (erase its edit history: it keeps what it says now, and no earlier version is kept anywhere; Owner/Admin in a team)',
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, async (u) => {
        const forgotten = await history.forgetHistory(u, call.positionals[0]!);
        const summary = u.vault.documents.summary(forgotten.documentId);
        print(
          call,
          forgotten,
          () =>
            `Erased the edit history of ${summary.title || 'Untitled'}: ${forgotten.versionsBefore} earlier version${forgotten.versionsBefore === 1 ? '' : 's'} gone; it keeps what it says now.\n`,
        );
      }),
  },
  'workspace retention': {
    usage: 'hearth workspace retention W [forever|1y|90d|30d|7d|none]   (how long edit history is kept; edits older than that are erased at once)',
    positionals: [1, 2],
    run: (call) =>
      withUseCases(call, async (u) => {
        const [workspace, wanted] = call.positionals as [string, string | undefined];
        if (wanted === undefined) {
          const retention = history.retentionOf(u, workspace);
          print(
            call,
            { retention },
            () => `Keeps edit history ${retention === 'forever' ? 'forever' : retention === 'none' ? 'not at all' : `for ${RETENTION_LABELS[retention]}`}.\n`,
          );
          return;
        }
        const set = await history.setRetention(u, workspace, parseRetention(wanted));
        print(
          call,
          set,
          () =>
            `Keeps edit history ${set.retention === 'forever' ? 'forever' : set.retention === 'none' ? 'not at all' : `for ${RETENTION_LABELS[set.retention]}`}; older edits erased in ${set.forgotten.length} document${set.forgotten.length === 1 ? '' : 's'}.\n`,
        );
      }),
  },
};
