/**
 * `hearth`, the scriptable face of Hearth: the same use cases the app calls (main/usecases/),
 * commands grouped by what they are about (main/cli/*-commands.ts).
 * Contract: `--json` prints one JSON document on stdout (on a refusal: `{"error": {code, message}}`);
 * exit 0 on success, 1 with one line on stderr for a refusal, 2 with one line for bad usage.
 */
import { parseArgs } from 'node:util';
import { useNativeCrypto } from '../native-crypto.ts';
import { defaultVaultDir } from '../paths.ts';
import { accountCommands } from './account-commands.ts';
import { contentCommands } from './content-commands.ts';
import { deviceCommands } from './device-commands.ts';
import { historyCommands } from './history-commands.ts';
import { GLOBAL_OPTIONS, UsageError, type Command, type Invocation, type Io, type Options, type Values } from './invocation.ts';
import { linkCommands } from './link-commands.ts';
import { oneLine, refusalOf } from './refusals.ts';
import { teamCommands } from './team-commands.ts';
import { terminalText } from './terminal-text.ts';
import { vaultCommands } from './vault-commands.ts';

const commands: Record<string, Command> = {
  ...vaultCommands,
  ...contentCommands,
  ...historyCommands,
  ...teamCommands,
  ...linkCommands,
  ...accountCommands,
  ...deviceCommands,
};

function usage(): string {
  return [
    'Usage: hearth [--vault DIR] [--json] [--recovery-code CODE] COMMAND',
    '',
    ...Object.values(commands).map((c) => `  ${c.usage}`),
    '  hearth relay [--host H] [--port P] [--data DIR]',
    '',
    'The vault is --vault DIR, or $HEARTH_VAULT, or the default data folder.',
    'The passphrase is $HEARTH_PASSPHRASE, or asked for on the terminal.',
    'A vault with a second factor (a security key) opens here with --recovery-code CODE or $HEARTH_RECOVERY_CODE; each code works once.',
    '',
  ].join('\n');
}

/** Bad usage, on one line: what is wrong, then how the command is used. */
function usageRefusal(io: Io, problem: string, command?: Command): number {
  io.err(`hearth: ${oneLine(problem).replace(/([^.!?])$/, '$1.')}${command ? ` Usage: ${command.usage}` : ' `hearth --help` lists the commands.'}\n`);
  return 2;
}

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function main(argv: string[], io: Partial<Io> = {}): Promise<number> {
  useNativeCrypto();
  const out = io.out ?? ((text: string) => process.stdout.write(text));
  const err = io.err ?? ((text: string) => process.stderr.write(text));
  // Every line printed passes here: nothing from the vault, an import or a peer steers the terminal.
  const fullIo: Io = {
    out: (text) => out(terminalText(text)),
    err: (text) => err(terminalText(text)),
    env: io.env ?? process.env,
    stdin: io.stdin ?? process.stdin,
  };
  const allOptions = Object.assign({}, GLOBAL_OPTIONS, ...Object.values(commands).map((c) => c.options ?? {})) as Options;
  const words = parseArgs({ args: argv, options: allOptions, allowPositionals: true, strict: false }).positionals;
  const name = [words.slice(0, 2).join(' '), words[0] ?? ''].find((candidate) => commands[candidate]);
  if (!name) {
    const askedForHelp = argv.includes('--help') || argv.includes('-h') || argv.length === 0;
    if (askedForHelp) {
      fullIo.out(usage());
      return 0;
    }
    return usageRefusal(fullIo, `There is no command "${words.join(' ') || argv.join(' ')}".`);
  }
  const command = commands[name]!;
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    return usageRefusal(fullIo, (error as Error).message, command);
  }
  if (parsed.values.help) {
    fullIo.out(`Usage: ${command.usage}\n`);
    return 0;
  }
  const positionals = parsed.positionals.slice(name.split(' ').length);
  const [min, max] = command.positionals;
  if (positionals.length < min || positionals.length > max) {
    return usageRefusal(
      fullIo,
      positionals.length < min
        ? `${name} needs ${min === max ? min : `at least ${min}`} argument(s).`
        : `${name} takes ${max === 0 ? 'no' : `at most ${max}`} argument(s) besides its options.`,
      command,
    );
  }
  const call: Invocation = {
    values: parsed.values,
    positionals,
    io: fullIo,
    vaultDir: (parsed.values.vault as string | undefined) ?? defaultVaultDir(fullIo.env),
    json: parsed.values.json === true,
    printed: false,
  };
  try {
    await command.run(call);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) return usageRefusal(fullIo, error.message, command);
    const refusal = refusalOf(error);
    if (call.json && !call.printed) fullIo.out(`${JSON.stringify({ error: { code: refusal.code, message: refusal.message } }, null, 2)}\n`);
    fullIo.err(`hearth: ${refusal.message}\n`);
    if (refusal.unexpected && fullIo.env.HEARTH_DEBUG) fullIo.err(`${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}
