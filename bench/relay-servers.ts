/**
 * One relay for the relay bench, in its own process so its CPU and memory can be measured alone.
 * Forked by bench/relay-load.ts with an IPC channel and --expose-gc:
 *   bench/relay-servers.ts hearth|echo|automerge DATA_DIR
 * Sends {port} once listening; answers {op: 'memory'} with its heap and RSS after a full garbage
 * collection, so memory per connection counts what is held, not what awaits collection.
 *  - hearth: this repository's relay on SQLite (the default configuration).
 *  - echo: a bare `ws` server that forwards each message to the other sockets in its room; the floor.
 *  - automerge: automerge-repo's sync server as its sync-server example runs it (a Repo with the
 *    WebSocket server adapter and sharePolicy false), without its file storage adapter (not installed).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const [kind = 'hearth', dataDir = '/tmp/hearth-bench-relay'] = process.argv.slice(2);

async function listen(): Promise<number> {
  if (kind === 'hearth') {
    const { startRelay } = await import('../sync-server/relay.ts');
    const relay = await startRelay({
      port: 0,
      dataDir,
      log: () => undefined,
      limits: { messagesPerSecond: 10_000, messageBurst: 10_000, maxConnections: 50_000 },
    });
    return Number(new URL(relay.url).port);
  }
  const server = createServer();
  if (kind === 'echo') {
    const rooms = new Map<string, Set<WebSocket>>();
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    wss.on('connection', (socket, request) => {
      const room = new URL(request.url ?? '/', 'http://x').searchParams.get('room') ?? '';
      if (!rooms.has(room)) rooms.set(room, new Set());
      const members = rooms.get(room)!;
      members.add(socket);
      socket.on('message', (data: Buffer) => {
        for (const other of members) if (other !== socket) other.send(data);
      });
      socket.on('close', () => members.delete(socket));
    });
  } else {
    const { Repo } = await import('@automerge/automerge-repo');
    const { WebSocketServerAdapter } = await import('@automerge/automerge-repo-network-websocket');
    const wss = new WebSocketServer({ noServer: true });
    new Repo({ network: [new WebSocketServerAdapter(wss as never)], peerId: 'storage-server-bench' as never, sharePolicy: async () => false });
    server.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request)));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const port = await listen();
process.on('message', (message: { op: string }) => {
  if (message.op !== 'memory') return;
  // Twice: the first collection can leave finalised objects for the second.
  globalThis.gc?.();
  globalThis.gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  process.send!({ op: 'memory', heapUsed, rss });
});
process.send!({ op: 'listening', port });
