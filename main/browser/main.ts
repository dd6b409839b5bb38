/**
 * `npm start` where Electron is not installed: browser mode on 127.0.0.1, with the default
 * vault folder (or --vault / HEARTH_VAULT), until Ctrl+C. Prints the one address to open.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from '../app/session.ts';
import { useNativeCrypto } from '../native-crypto.ts';
import { defaultVaultDir } from '../paths.ts';
import { startBrowserServer } from './server.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_RENDERER_DIR = join(repoRoot, 'dist', 'renderer');

const USAGE = `Usage: npm start -- [--port N] [--vault DIR] [--renderer DIR]

Starts Hearth in browser mode on 127.0.0.1 and prints the address to open.
  --port N        listen on port N (default: a free port)
  --vault DIR     the vault folder (default: HEARTH_VAULT, or the platform's data folder)
  --renderer DIR  the built UI (default: dist/renderer)`;

interface BrowserModeOptions {
  port: number;
  vaultDir: string;
  rendererDir: string;
}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): BrowserModeOptions | string {
  const options: BrowserModeOptions = { port: 0, vaultDir: defaultVaultDir(env), rendererDir: env.HEARTH_RENDERER_DIR ?? DEFAULT_RENDERER_DIR };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value.\n\n${USAGE}`);
      return next;
    };
    if (arg === '--help' || arg === '-h') return USAGE;
    else if (arg === '--port') {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port takes a number from 0 to 65535.\n\n${USAGE}`);
      options.port = port;
    } else if (arg === '--vault') options.vaultDir = resolve(value());
    else if (arg === '--renderer') options.rendererDir = resolve(value());
    else if (arg === '--browser') continue;
    else throw new Error(`Unknown option ${arg}.\n\n${USAGE}`);
  }
  return options;
}

/** Runs browser mode until SIGINT/SIGTERM; returns the exit code. */
export async function runBrowserMode(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const crypto = useNativeCrypto();
  if (crypto.fallbackReason) console.warn(`sodium-native did not load (${crypto.fallbackReason}); using libsodium's wasm build.`);
  let options: BrowserModeOptions;
  try {
    const parsed = parseArgs(argv, env);
    if (typeof parsed === 'string') {
      console.log(parsed);
      return 0;
    }
    options = parsed;
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (!existsSync(join(options.rendererDir, 'index.html'))) {
    console.error(`The UI is not built: ${options.rendererDir} has no index.html. Run \`npx vite build\`, or point --renderer at a built UI.`);
    return 1;
  }
  const session = new Session({ vaultDir: options.vaultDir });
  let server;
  try {
    server = await startBrowserServer({ session, rendererDir: options.rendererDir, port: options.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(
      code === 'EADDRINUSE'
        ? `Port ${options.port} is in use. Choose another with --port, or leave it out to pick a free one.`
        : `Hearth could not start: ${(error as Error).message}`,
    );
    return 1;
  }
  console.log(`Hearth is running in browser mode (the Electron app is not installed here).

  Open:  ${server.url}
  (or ${server.localhostUrl}, the same page under the name localhost: browsers allow security keys only there)

  Vault: ${options.vaultDir}
  Only this address works: it carries the access token. Press Ctrl+C to stop.`);

  return new Promise((done) => {
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      console.log('\nLocking the vault and stopping Hearth…');
      await server.close();
      await session.close();
      done(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });
}
