// Exports choose history (issue 11 item 3): `--history none` writes each document's state without
// the edits that led there, so text deleted before is in no file of the export (the control: a
// full export holds it); both kinds import, and one without history never merges into a copy that
// has the history, which would mix two texts.
import * as A from '@automerge/automerge';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomBytes, toHex } from '../../common/crypto/sodium.ts';
import { exportVault } from '../../main/portability/export.ts';
import { importPath } from '../../main/portability/import.ts';
import { historyHolds } from '../support/history-scan.ts';
import { emptyVaultOfSameAccount } from '../support/export.ts';
import { createTestVault, filesUnder, tempDir } from '../support/vault.ts';

function automergeFiles(dir: string): Array<A.Doc<unknown>> {
  return filesUnder(dir)
    .filter((f) => f.endsWith('.automerge'))
    .map((f) => A.load(readFileSync(f)));
}

describe('exporting without history', () => {
  it('holds no deleted text, keeps text and comment anchors, and imports back', async () => {
    const vault = await createTestVault();
    const personal = vault.workspaces.list()[0]!.id;
    const marker = `erase-me-${toHex(randomBytes(8))}`;
    const doc = vault.documents.create(personal, { title: 'Letter', init: (d) => A.splice(d, ['body'], 0, 0, `Dear Ann, ${marker} thanks.`) });
    vault.documents.change(doc.id, (d) => A.splice(d, ['body'], 'Dear Ann, '.length, marker.length + 1, ''));
    vault.comments.add(doc.id, { text: 'Formal enough?', anchor: { from: 0, to: 4 } });
    const text = vault.documents.get(doc.id).body;

    const full = join(tempDir(), 'full');
    await exportVault(vault, full);
    expect(automergeFiles(full).some((d) => historyHolds(d, marker))).toBe(true);
    const none = join(tempDir(), 'none');
    await exportVault(vault, none, { history: 'none' });
    const docs = automergeFiles(none);
    expect(docs).toHaveLength(1);
    expect(historyHolds(docs[0]!, marker)).toBe(false);
    for (const file of filesUnder(none)) expect(readFileSync(file).includes(Buffer.from(marker))).toBe(false);
    // The vault itself still has its history: exporting without it erases nothing here.
    expect(historyHolds(vault.documents.get(doc.id), marker)).toBe(true);

    const other = await emptyVaultOfSameAccount(vault);
    await importPath(other, none);
    const [imported] = other.documents.list(other.workspaces.list().find((w) => w.name === vault.workspaces.get(personal).name)!.id);
    expect(other.documents.get(imported!.id).body).toBe(text);
    expect(historyHolds(other.documents.get(imported!.id), marker)).toBe(false);
    expect(other.comments.list(imported!.id)[0]!.anchor).toMatchObject({ from: 0, to: 4 });

    // Into the vault it came from: the document here keeps its history and text; the export arrives as a copy.
    const result = await importPath(vault, none);
    expect(result.documentsMerged).toBe(0);
    expect(vault.documents.get(doc.id).body).toBe(text);
    const copies = vault.documents.list(personal).filter((d) => d.id !== doc.id);
    expect(copies.map((d) => vault.documents.get(d.id).body)).toEqual([text]);
  });
});
