/**
 * One relay for the relay bench, in its own process so its CPU and memory can be measured alone:
 *   node --expose-gc --import tsx bench/relay-servers.ts KIND DATA_DIR [PORT] [POSTGRES_URL]
 * Prints {"port": N} once listening. A line "gc" on stdin collects garbage and answers with
 * {"rss": …, "heapUsed": …} (memory per idle connection is measured after GC).
 *  - hearth: this repository's relay on SQLite (the default configuration: storage and
 *    verification threads).
 *  - hearth-pg: the same relay on PostgreSQL (POSTGRES_URL); run two for a cluster.
 *  - echo: a bare `ws` server that forwards each message to the other sockets in its room; the
 *    physical floor.
 *  - durable-echo: the echo, but every message is appended to a file and fdatasync'd before it
 *    is forwarded (group commit: what arrives while one sync runs shares the next), so the cost of
 *    durability is measured, not guessed.
 *  - automerge: automerge-repo's sync server as its sync-server example runs it (a Repo with the
 *    WebSocket server adapter and sharePolicy false), without its file storage adapter (not installed).
 */
import { open } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocketServer, type WebSocket } from 'ws';

const [kind = 'hearth', dataDir = '/tmp/hearth-bench-relay', portArg = '0', postgresUrl] = process.argv.slice(2);
const port = Number(portArg);

/** Rooms of sockets, by the `room` query parameter; `forward` sends one message to the others in its room. */
function echoServer(server: ReturnType<typeof createServer>, onMessage: (data: Buffer, others: WebSocket[]) => void): void {
  const rooms = new Map<string, Set<WebSocket>>();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (socket, request) => {
    const room = new URL(request.url ?? '/', 'http://x').searchParams.get('room') ?? '';
    if (!rooms.has(room)) rooms.set(room, new Set());
    const members = rooms.get(room)!;
    members.add(socket);
    socket.on('message', (data: Buffer) =>
      onMessage(
        data,
        [...members].filter((other) => other !== socket),
      ),
    );
    socket.on('close', () => members.delete(socket));
  });
}

/** Appends messages to a log and fdatasyncs before forwarding them; one sync at a time, the next batch waits for it. */
async function durableForwarder(path: string): Promise<(data: Buffer, others: WebSocket[]) => void> {
  const file = await open(path, 'a');
  let batch: Array<{ data: Buffer; others: WebSocket[] }> = [];
  let syncing = false;
  const flush = async () => {
    syncing = true;
    while (batch.length > 0) {
      const now = batch;
      batch = [];
      await file.write(Buffer.concat(now.map((m) => m.data)));
      await file.datasync();
      for (const { data, others } of now) for (const other of others) other.send(data);
    }
    syncing = false;
  };
  return (data, others) => {
    batch.push({ data, others });
    if (!syncing) void flush();
  };
}

async function listen(): Promise<number> {
  if (kind === 'hearth' || kind === 'hearth-pg') {
    const { startRelay } = await import('../sync-server/relay.ts');
    const relay = await startRelay({
      port,
      ...(kind === 'hearth-pg' ? { postgresUrl } : { dataDir }),
      log: () => undefined,
      limits: { messagesPerSecond: 10_000, messageBurst: 10_000, maxConnections: 50_000 },
      ...(process.env.HEARTH_VERIFY_THREADS ? { threads: { verify: Number(process.env.HEARTH_VERIFY_THREADS) } } : {}),
    });
    return Number(new URL(relay.url).port);
  }
  const server = createServer();
  if (kind === 'echo') echoServer(server, (data, others) => others.forEach((other) => other.send(data)));
  else if (kind === 'durable-echo') echoServer(server, await durableForwarder(join(dataDir, 'echo.log')));
  else {
    const { Repo } = await import('@automerge/automerge-repo');
    const { WebSocketServerAdapter } = await import('@automerge/automerge-repo-network-websocket');
    const wss = new WebSocketServer({ noServer: true });
    new Repo({ network: [new WebSocketServerAdapter(wss as never)], peerId: 'storage-server-bench' as never, sharePolicy: async () => false });
    server.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request)));
  }
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'gc') return;
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
  const { rss, heapUsed } = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ rss, heapUsed })}\n`);
});
process.stdout.write(`${JSON.stringify({ port: await listen() })}\n`);
