// A child process for the crash test: writes to the vault without pause and prints "ack N" after
// each write has returned (so has committed). The parent kills it with SIGKILL at random moments.
import * as A from '@automerge/automerge';
import { Vault } from '../../main/vault/vault.ts';

const [dir, passphrase, startArg] = process.argv.slice(2) as [string, string, string];
const vault = await Vault.unlock(dir, passphrase);
const workspace = vault.workspaces.list()[0]!;
let doc = vault.documents.list(workspace.id).find((d) => d.title === 'crash log') ?? vault.documents.create(workspace.id, { title: 'crash log' });
for (let n = Number(startArg); ; n++) {
  if (n % 50 === 0) {
    doc = vault.documents.create(workspace.id, { title: `doc ${n}` });
  } else if (n % 7 === 0) {
    vault.comments.add(doc.id, { text: `comment ${n}` });
  } else {
    vault.documents.change(doc.id, (d) => A.splice(d, ['body'], d.body.length, 0, `w${n};`));
  }
  process.stdout.write(`ack ${n}\n`);
  if (n % 40 === 0) await new Promise((resolve) => setImmediate(resolve));
}
