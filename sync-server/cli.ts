/**
 * `hearth relay` / `npm run relay`: parses flags, starts the relay, and runs until SIGINT/SIGTERM.
 * Logs go to one file per day in the data folder (or stdout), as JSON lines: ids, sizes, codes —
 * never content, never an account id.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isHearthError } from '../common/errors.ts';
import { DEFAULT_LOG_DAYS } from './relay-log.ts';
import { startRelay, RELAY_VERSION, type RelayOptions } from './relay.ts';

const usage = `Usage: hearth relay [options]

  --host HOST          address to listen on (default 127.0.0.1)
  --port PORT          port (default 8787; 0 picks a free one)
  --data DIR           folder for the SQLite database (default ./relay-data)
  --postgres URL       store in PostgreSQL instead (or env HEARTH_RELAY_POSTGRES)
  --tls-cert FILE      serve TLS 1.3 directly with this certificate…
  --tls-key FILE       …and this key (otherwise put a TLS reverse proxy in front)
  --purge-days N       keep deleted accounts' data at most N days before purging (default 0, max 30)
  --log-days N         keep the daily log files (DIR/logs/relay-YYYY-MM-DD.log) N days (default 30, 1–365)
  --log-stdout         write the log to stdout instead (its retention is then whoever keeps stdout)
  --verify-threads N   threads that check signatures (default: one per core but one; 0 = on the main thread)
  --version            print the version
  --help               this text
`;

export async function runRelayCli(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8787' },
        data: { type: 'string' },
        postgres: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'purge-days': { type: 'string', default: '0' },
        'log-days': { type: 'string', default: String(DEFAULT_LOG_DAYS) },
        'log-stdout': { type: 'boolean', default: false },
        'verify-threads': { type: 'string' },
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`hearth-relay ${RELAY_VERSION}\n`);
    return 0;
  }
  const port = Number(values.port);
  const purgeDays = Number(values['purge-days']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be a number from 0 to 65535, not ${values.port}.\n`);
    return 2;
  }
  if (!(purgeDays >= 0 && purgeDays <= 30)) {
    process.stderr.write('--purge-days must be between 0 and 30.\n');
    return 2;
  }
  const logDays = Number(values['log-days']);
  if (!(Number.isInteger(logDays) && logDays >= 1 && logDays <= 365)) {
    process.stderr.write(`--log-days must be a whole number of days from 1 to 365, not ${values['log-days']}.\n`);
    return 2;
  }
  const verifyThreads = values['verify-threads'] === undefined ? undefined : Number(values['verify-threads']);
  if (verifyThreads !== undefined && !(Number.isInteger(verifyThreads) && verifyThreads >= 0 && verifyThreads <= 256)) {
    process.stderr.write(`--verify-threads must be a number from 0 to 256, not ${values['verify-threads']}.\n`);
    return 2;
  }
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
    process.stderr.write('Give both --tls-cert and --tls-key, or neither (and terminate TLS in a reverse proxy).\n');
    return 2;
  }
  const postgresUrl = values.postgres ?? process.env.HEARTH_RELAY_POSTGRES;
  const options: RelayOptions = {
    host: values.host,
    port,
    dataDir: values.data ?? 'relay-data',
    purgeWindowMs: purgeDays * 24 * 3600 * 1000,
    logDays,
  };
  if (values['log-stdout']) options.log = (line) => process.stdout.write(line + '\n');
  if (postgresUrl) options.postgresUrl = postgresUrl;
  if (verifyThreads !== undefined) options.threads = { verify: verifyThreads };
  let failed: (() => void) | undefined;
  options.onFatal = () => failed?.();
  try {
    if (values['tls-cert'] && values['tls-key']) options.tls = { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) };
    const relay = await startRelay(options);
    const logs = values['log-stdout'] ? 'log on stdout' : `log in ${options.dataDir}/logs, kept ${logDays} days`;
    process.stderr.write(`Hearth relay listening on ${relay.url} (${postgresUrl ? 'PostgreSQL' : `SQLite in ${options.dataDir}`}; ${logs})\n`);
    const fatal = await new Promise<boolean>((resolve) => {
      process.once('SIGINT', () => resolve(false));
      process.once('SIGTERM', () => resolve(false));
      // A relay thread died: stop, so that a supervisor starts the relay again.
      failed = () => resolve(true);
    });
    await relay.close().catch(() => undefined);
    return fatal ? 1 : 0;
  } catch (error) {
    process.stderr.write(`The relay could not start: ${isHearthError(error) ? error.message : (error as Error).message}\n`);
    return 1;
  }
}
