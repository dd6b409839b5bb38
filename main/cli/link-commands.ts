/** `hearth link …`: public, read-only links to one document, and opening one. */
import { openPublicLink } from '../sync/links.ts';
import { durationArg, optionalString, print, table, when, withUseCases, type Command } from './invocation.ts';

export const linkCommands: Record<string, Command> = {
  'link create': {
    usage:
      'hearth link create DOC [--expires DURATION] [--images]   (publishes a read-only copy; prints its URL; DURATION like 30m, 12h, 7d; --images includes its attached images)',
    options: { expires: { type: 'string' }, images: { type: 'boolean' } },
    positionals: [1, 1],
    async run(call) {
      const expires = optionalString(call, 'expires');
      const expiresInMs = expires === undefined ? undefined : durationArg(expires);
      await withUseCases(call, async ({ engine }) => {
        const link = await engine.createLink(call.positionals[0]!, {
          ...(expiresInMs === undefined ? {} : { expiresInMs }),
          ...(call.values['images'] === true ? { includeImages: true } : {}),
        });
        print(call, link, () => `${link.url}\n`);
      });
    },
  },
  'link list': {
    usage: 'hearth link list   (the active public links this vault created, and those of deleted documents a relay out of reach still serves)',
    positionals: [0, 0],
    run: (call) =>
      withUseCases(call, async ({ engine, vault }) => {
        // A deleted document's link stays readable until its relay hears of the deletion: shown (without its key) so it is not forgotten.
        // Asked first: it also marks the links of documents deleted by another process (the app), which are then no longer active.
        const pending = (await engine.pendingLinkRevocations()).flatMap((p) => {
          const record = vault.links.get(p.id);
          if (!record) return [];
          const { id, documentId, workspaceId, title, relay, createdAt, deletedAt } = p;
          return [
            {
              id,
              documentId,
              workspaceId,
              title,
              url: record.url.split('#')[0]!,
              createdAt,
              expiresAt: record.expiresAt,
              state: 'pending-revocation' as const,
              relay,
              deletedAt,
            },
          ];
        });
        const active = (await engine.listLinks()).map((l) => ({ ...l, state: 'active' as const }));
        const links = [...active, ...pending];
        const relays = [...new Set(pending.map((p) => new URL(p.relay).host))].join(', ');
        print(
          call,
          links,
          () =>
            table([
              ['ID', 'DOCUMENT', 'STATE', 'EXPIRES', 'URL'],
              ...links.map((l) => [
                l.id,
                l.title,
                l.state === 'active' ? 'active' : 'pending revocation',
                l.expiresAt === null ? 'never' : when(l.expiresAt),
                l.url,
              ]),
            ]) +
            (pending.length === 0
              ? ''
              : `\n${pending.length} link(s) of deleted documents are still served by ${relays}, which could not be reached to revoke them: whoever has one can still read its copy. \`hearth sync\` tries again.\n`),
        );
      }),
  },
  'link revoke': {
    usage: 'hearth link revoke ID',
    positionals: [1, 1],
    run: (call) =>
      withUseCases(call, async ({ engine }) => {
        await engine.revokeLink(call.positionals[0]!);
        print(call, { revoked: call.positionals[0]! }, () => `Revoked ${call.positionals[0]!}\n`);
      }),
  },
  'link open': {
    usage: 'hearth link open URL   (prints the shared document as Markdown; needs no vault)',
    positionals: [1, 1],
    async run(call) {
      const opened = await openPublicLink(call.positionals[0]!);
      if (!call.json)
        call.io.err(`${opened.title} (published ${when(opened.publishedAt)}${opened.expiresAt === null ? '' : `, expires ${when(opened.expiresAt)}`})\n`);
      print(call, opened, () => opened.markdown);
    },
  },
};
