#!/usr/bin/env node
// The `hearth` command. TypeScript runs through tsx; `hearth relay` starts the relay, which
// lives in its own process and folder (sync-server/), everything else is the app's CLI.
import { register } from 'tsx/esm/api';

register();
const args = process.argv.slice(2);
const entry = args[0] === 'relay' ? '../sync-server/cli.ts' : '../main/cli/main.ts';
const module = await import(new URL(entry, import.meta.url).href);
const code = args[0] === 'relay' ? await module.runRelayCli(args.slice(1)) : await module.main(args);
process.exitCode = code;
