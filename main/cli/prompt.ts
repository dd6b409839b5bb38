/** Asks for a secret on the terminal without echoing what is typed. */
import { HearthError } from '../../common/errors.ts';

export async function askSecret(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    throw new HearthError('BAD_REQUEST', 'No terminal to ask for the passphrase on: set HEARTH_PASSPHRASE.');
  }
  // Echo goes off before the prompt shows, so nothing typed after seeing it can be echoed.
  input.setRawMode(true);
  process.stderr.write(question);
  input.resume();
  input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return done();
        if (char === '\u0003') return done(new HearthError('BAD_REQUEST', 'Cancelled.'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
  });
}
