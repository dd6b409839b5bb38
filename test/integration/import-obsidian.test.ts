/**
 * A Markdown folder as an Obsidian user keeps it (issue 15, item 4) imports as its owner wrote
 * it: GFM tables and task lists, [[wikilinks]] (with aliases and headings) and relative links
 * between the notes become links between the imported documents, front-matter tags and #tags
 * become tags, the title comes from the front matter or the opening heading without repeating
 * it, file dates are kept, and images and attachments referred to by relative path or by name
 * become files of the workspace with their bytes. What resolves to nothing stays as written.
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bodyAsMarkdown } from '../../common/richtext/index.ts';
import { importPath } from '../../main/portability/import.ts';
import type { Vault } from '../../main/vault/vault.ts';
import { createTestVault, tempDir } from '../support/vault.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAIAAACDRijCAAAAGklEQVR4nGPQqDhBFcQwatCoQaMGjRpEGQIAPLEcH9Ol6TsAAAAASUVORK5CYII=', 'base64');
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);
const PDF = Buffer.from('%PDF-1.4\n% a spec\n');

const HOME = `---
title: Home base
tags:
  - inbox
  - "#planning"
date: 2024-03-01T09:30:00Z
aliases: [start]
---
# Home base

Working on [[Project Alpha]] — see [[Project Alpha#Risks|the risks]] and [the meeting](sub/Meeting%20notes.md).
Also [[Missing note]], tagged #today but not #1.

| Task | Owner |
| :--- | --- |
| Draft | **Ada** |

- [x] book the room
- [ ] send the agenda

![[diagram.png]]

![A photo](attachments/photo.jpg "Harbour")

The [spec](files/spec.pdf) and [the web](https://example.org/page.md).

\`\`\`md
[[not a link]] #notatag ![x](attachments/photo.jpg)
\`\`\`
`;

const ALPHA = `---
tags: [work, alpha]
---
# Project Alpha

Back to [[Home]]. Plan with \`[[inline code]]\`.

## Risks

- weather
`;

const MEETING = 'Notes with no heading.\n\n- [ ] follow up with [[project alpha|Alpha]]\n';

function writeFolder(): { dir: string; meetingTime: Date } {
  const dir = join(tempDir(), 'Vault notes');
  for (const sub of ['sub', 'attachments', 'files', 'assets/deep']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'Home.md'), HOME);
  writeFileSync(join(dir, 'Project Alpha.md'), ALPHA);
  writeFileSync(join(dir, 'sub', 'Meeting notes.md'), MEETING);
  writeFileSync(join(dir, 'assets', 'deep', 'diagram.png'), PNG);
  writeFileSync(join(dir, 'attachments', 'photo.jpg'), JPEG);
  writeFileSync(join(dir, 'files', 'spec.pdf'), PDF);
  writeFileSync(join(dir, 'unused.bin'), 'never referred to');
  const meetingTime = new Date('2023-11-05T14:00:00Z');
  utimesSync(join(dir, 'sub', 'Meeting notes.md'), meetingTime, meetingTime);
  return { dir, meetingTime };
}

async function bytesOf(vault: Vault, fileId: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of vault.files.read(fileId)) parts.push(part);
  return Buffer.concat(parts);
}

describe('an Obsidian-style Markdown folder', () => {
  it('imports as written: blocks, links, tags, titles, dates and attachments', async () => {
    const { dir, meetingTime } = writeFolder();
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
    expect(bodyAsMarkdown(vault.documents.get(alpha.id))).toBe(`Back to [Home](hearth-doc:${home.id}). Plan with \`[[inline code]]\`.\n\n## Risks\n\n- weather\n`);
    expect(bodyAsMarkdown(vault.documents.get(meeting.id))).toBe(`Notes with no heading.\n\n- [ ] follow up with [Alpha](hearth-doc:${alpha.id})\n`);

    // Importing the same folder again adds nothing.
    expect(await importPath(vault, dir)).toMatchObject({ documentsCreated: 0, files: 0, filesSkipped: 0 });
    expect(vault.documents.list(workspace.id)).toHaveLength(3);
    expect(vault.files.list(workspace.id)).toHaveLength(3);
    vault.lock();
  });
});
