// A child process for the multi-process vault test: appends `count` numbered paragraphs to one
// document as fast as it can, each padded so the log is compacted into snapshots every few
// dozen writes, and prints "ack <token>" once each write has returned (so has committed).
import * as A from '@automerge/automerge';
import { Vault } from '../../main/vault/vault.ts';

const [dir, passphrase, documentId, name, countArg] = process.argv.slice(2) as [string, string, string, string, string];
const vault = await Vault.unlock(dir, passphrase);
const padding = 'x'.repeat(1500);
for (let n = 0; n < Number(countArg); n++) {
  const token = `${name}w${n}q`;
  try {
    vault.documents.change(documentId, (d) => A.splice(d, ['body'], d.body.length, 0, ` ${token} ${padding}`));
    process.stdout.write(`ack ${token}\n`);
  } catch (error) {
    process.stdout.write(`error ${(error as Error).name} ${(error as { code?: string }).code ?? ''} ${(error as Error).message.split('\n')[0]}\n`);
  }
}
vault.lock();
