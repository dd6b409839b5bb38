/**
 * A Markdown folder as an Obsidian user keeps it (issue 15, item 4) imports as its owner wrote
 * it: GFM tables and task lists, [[wikilinks]] (with aliases and headings) and relative links
 * between the notes become links between the imported documents, front-matter tags and #tags
 * become tags, the title comes from the front matter or the opening heading without repeating
 * it, file dates are kept, and images and attachments referred to by relative path or by name
 * become files of the workspace with their bytes. What resolves to nothing stays as written.
 */
import { describe, expect, it } from 'vitest';
import { bodyAsMarkdown } from '../../common/richtext/index.ts';
import { importPath } from '../../main/portability/import.ts';
import type { Vault } from '../../main/vault/vault.ts';
import { JPEG, PNG, writeObsidianFolder } from '../support/obsidian-folder.ts';
import { createTestVault, tempDir } from '../support/vault.ts';

async function bytesOf(vault: Vault, fileId: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of vault.files.read(fileId)) parts.push(part);
  return Buffer.concat(parts);
}

describe('an Obsidian-style Markdown folder', () => {
  it('imports as written: blocks, links, tags, titles, dates and attachments', async () => {
    const { dir, meetingTime } = writeObsidianFolder(tempDir());
    const vault = await createTestVault();
    expect(await importPath(vault, dir)).toMatchObject({ kind: 'markdown-folder', documentsCreated: 3, files: 3 });

    const workspace = vault.workspaces.list().find((w) => w.name === 'Imported: Vault notes')!;
    const docs = vault.documents.list(workspace.id);
    const byTitle = (title: string) => docs.find((d) => d.title === title)!;
    expect(docs.map((d) => d.title).sort()).toEqual(['Home base', 'Meeting notes', 'Project Alpha']);
    const [home, alpha, meeting] = [byTitle('Home base'), byTitle('Project Alpha'), byTitle('Meeting notes')];

    // Tags: the front matter's (a block list, an inline list) and the #tags in the text, not those in code.
    expect(home.tags.sort()).toEqual(['inbox', 'planning', 'today']);
    expect(alpha.tags.sort()).toEqual(['alpha', 'work']);
    // Dates: the front matter's, else the file's own.
    expect(home.createdAt).toBe(Date.parse('2024-03-01T09:30:00Z'));
    expect(meeting.updatedAt).toBe(meetingTime.getTime());
    expect(meeting.createdAt).toBeLessThanOrEqual(meeting.updatedAt);

    const files = vault.files.list(workspace.id);
    expect(files.map((f) => [f.name, f.type]).sort()).toEqual([
      ['diagram.png', 'image/png'],
      ['photo.jpg', 'image/jpeg'],
      ['spec.pdf', 'application/pdf'],
    ]);
    const fileId = (name: string) => files.find((f) => f.name === name)!.id;
    expect(await bytesOf(vault, fileId('diagram.png'))).toEqual(PNG);
    expect(await bytesOf(vault, fileId('photo.jpg'))).toEqual(JPEG);

    const homeBody = bodyAsMarkdown(vault.documents.get(home.id));
    expect(homeBody).toBe(
      `Working on [Project Alpha](hearth-doc:${alpha.id}) — see [the risks](hearth-doc:${alpha.id}) and [the meeting](hearth-doc:${meeting.id}). ` +
        'Also \\[\\[Missing note\\]\\], tagged #today but not #1.\n\n' +
        '| Task | Owner |\n| :--- | --- |\n| Draft | **Ada** |\n\n' +
        '- [x] book the room\n- [ ] send the agenda\n\n' +
        `![diagram.png](hearth-file:${fileId('diagram.png')})\n\n` +
        `![A photo](hearth-file:${fileId('photo.jpg')} "Harbour")\n\n` +
        `The [spec](hearth-file:${fileId('spec.pdf')}) and [the web](https://example.org/page.md).\n\n` +
        '```md\n[[not a link]] #notatag ![x](attachments/photo.jpg)\n```\n',
    );
    // The opening heading became the title and is not repeated; a later heading stays.
    expect(bodyAsMarkdown(vault.documents.get(alpha.id))).toBe(
      `Back to [Home](hearth-doc:${home.id}). Plan with \`[[inline code]]\`.\n\n## Risks\n\n- weather\n`,
    );
    expect(bodyAsMarkdown(vault.documents.get(meeting.id))).toBe(`Notes with no heading.\n\n- [ ] follow up with [Alpha](hearth-doc:${alpha.id})\n`);

    // Importing the same folder again adds nothing.
    expect(await importPath(vault, dir)).toMatchObject({ documentsCreated: 0, files: 0, filesSkipped: 0 });
    expect(vault.documents.list(workspace.id)).toHaveLength(3);
    expect(vault.files.list(workspace.id)).toHaveLength(3);
    vault.lock();
  });
});
