/**
 * A Markdown folder as an Obsidian user keeps it (issue 15, item 4), for the import tests: notes
 * with front matter, an opening heading, GFM tables and tasks, [[wikilinks]] with aliases and
 * headings, relative links, #tags, code that holds look-alikes, and attachments referred to by
 * relative path and by name (one in a folder of its own), plus a file nothing refers to.
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAIAAACDRijCAAAAGklEQVR4nGPQqDhBFcQwatCoQaMGjRpEGQIAPLEcH9Ol6TsAAAAASUVORK5CYII=', 'base64');
export const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);
export const PDF = Buffer.from('%PDF-1.4\n% a spec\n');

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

/** Writes the folder as `Vault notes` under `parent`; the meeting note's file date is `meetingTime`. */
export function writeObsidianFolder(parent: string): { dir: string; meetingTime: Date } {
  const dir = join(parent, 'Vault notes');
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
  const earlier = new Date('2024-03-02T08:00:00Z');
  for (const note of ['Home.md', 'Project Alpha.md']) utimesSync(join(dir, note), earlier, earlier);
  return { dir, meetingTime };
}
