/**
 * The members of a team who follow one document through the relay in the sync bench
 * (bench/sync.ts), in their own process: each registers, is invited by the writer, subscribes
 * and counts what reaches it. They load the relay's fan-out as real members do, without a whole
 * app session each on a small machine (bench/sync.ts measures the editor-to-editor latency on
 * whole sessions).
 */
import { fork, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { generateIdentityKeys } from '../common/crypto/identity.ts';
import { loadSodium } from '../common/crypto/sodium.ts';
import { RelayClient, type WebSocketLike } from '../common/protocol/client.ts';
import { useNativeCrypto } from '../main/native-crypto.ts';
import { startDeviceLog } from '../test/support/device-log.ts';

export type ToFollowers = { op: 'register'; url: string; count: number } | { op: 'follow'; space: string; doc: string } | { op: 'count' };
export type FromFollowers =
  { op: 'registered'; usernames: string[] } | { op: 'following' } | { op: 'counted'; received: number } | { op: 'failed'; message: string };

/** Starts the followers' process. */
export function startFollowers(): ChildProcess {
  const child = fork(new URL(import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // A bench that dies must not leave its followers running behind it.
  process.once('exit', () => child.kill('SIGKILL'));
  return child;
}

/** The next message of kind `op` from the followers' process (a failure or an exit rejects). */
export function fromFollowers<T extends FromFollowers['op']>(child: ChildProcess, op: T, timeoutMs = 180_000): Promise<Extract<FromFollowers, { op: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no ${op} from the followers within ${timeoutMs / 1000} s`)), timeoutMs);
    const onMessage = (message: FromFollowers) => {
      if (message.op === 'failed') finish(new Error(message.message));
      else if (message.op === op) finish(undefined, message as Extract<FromFollowers, { op: T }>);
    };
    const onExit = (code: number | null) => finish(new Error(`the followers exited with ${code} before ${op}`));
    function finish(error?: Error, value?: Extract<FromFollowers, { op: T }>) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => make(i + j)))));
  return out;
}

const followers: RelayClient[] = [];
let followed = 0;

async function register(message: Extract<ToFollowers, { op: 'register' }>): Promise<FromFollowers> {
  const usernames = await inBatches(message.count, 25, async (i) => {
    const username = `follower-${i}-${process.pid}`;
    const client = await RelayClient.connect(message.url, (u) => new WebSocket(u, { perMessageDeflate: false }) as unknown as WebSocketLike);
    const keys = generateIdentityKeys();
    await client.register(keys, { username, displayName: `Follower ${i}` });
    // Hearth invites only accounts whose devices it can seal the workspace key to.
    await startDeviceLog(client, keys);
    followers.push(client);
    return username;
  });
  return { op: 'registered', usernames };
}

async function follow(message: Extract<ToFollowers, { op: 'follow' }>): Promise<FromFollowers> {
  await Promise.all(followers.map((client) => client.subscribe(message.space, message.doc, () => void followed++)));
  return { op: 'following' };
}

if (process.send && import.meta.url.endsWith(process.argv[1]!.split('/').pop()!)) {
  useNativeCrypto();
  await loadSodium();
  process.on('message', (message: ToFollowers) => {
    const answer =
      message.op === 'register'
        ? register(message)
        : message.op === 'follow'
          ? follow(message)
          : Promise.resolve<FromFollowers>({ op: 'counted', received: followed });
    answer.then(
      (reply) => process.send!(reply),
      (error: unknown) => process.send!({ op: 'failed', message: (error as Error).message } satisfies FromFollowers),
    );
  });
}
