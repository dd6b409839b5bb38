/** Runnable entry: `node --import tsx sync-server/main.ts [flags]`. */
import { runRelayCli } from './cli.ts';

process.exit(await runRelayCli(process.argv.slice(2)));
