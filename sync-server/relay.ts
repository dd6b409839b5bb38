/**
 * The relay: HTTP (health, version, public link viewer) and WebSocket (the protocol in
 * common/protocol) on one port. It stores ciphertext and role metadata only, checks every
 * request against common/roles.ts through its request table (requests/table.ts), and answers bad
 * input with an error frame, never a crash. The main thread moves frames; signatures are checked
 * on verification threads (verify-pool.ts) and SQLite commits on a storage thread
 * (storage/threaded-store.ts), so every core works and no fsync stalls the sockets.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { HearthError } from '../common/errors.ts';
import { loadSodium } from '../common/crypto/sodium.ts';
import { encodeFrame } from '../common/protocol/messages.ts';
import { Connection } from './connection.ts';
import { serveHttp } from './http.ts';
import { RelayHub } from './hub.ts';
import { defaultLimits, type RelayLimits } from './limits.ts';
import { limitError } from './refusals.ts';
import { DEFAULT_LOG_DAYS, RelayLog, rotatingLogFiles, type LogSink } from './relay-log.ts';
import type { RelayContext } from './requests/request.ts';
import { errorFrame, receiveMessage } from './socket.ts';
import { PostgresDriver } from './storage/postgres-driver.ts';
import { RelayStore, type RelayStorage } from './storage/relay-store.ts';
import { SqliteDriver } from './storage/sqlite-driver.ts';
import { useNativeCrypto } from './native-crypto.ts';
import { openThreadedStore } from './storage/threaded-store.ts';
import { VerifyPool, defaultVerifyThreads } from './verify-pool.ts';

export { RELAY_VERSION } from './http.ts';

const MAX_PURGE_WINDOW_MS = 30 * 24 * 3600 * 1000;
const PING_INTERVAL_MS = 30_000;
/** Each instance says it is alive this often; one silent for three beats was killed, and its sessions no longer count. */
const HEARTBEAT_MS = 10_000;

export interface RelayOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Folder for the SQLite file (relay.sqlite); ignored when postgresUrl is set. */
  dataDir?: string;
  postgresUrl?: string;
  tls?: { cert: string | Buffer; key: string | Buffer };
  limits?: Partial<RelayLimits>;
  sessionTtlMs?: number;
  nonceTtlMs?: number;
  /** How long a deleted account's data may linger before it is purged: 0 (default) = at once; at most 30 days. */
  purgeWindowMs?: number;
  /** Where log lines go; by default to one file per day in <dataDir>/logs when there is a dataDir, else nowhere. */
  log?: LogSink;
  /** How many days of log files are kept (the default sink's retention, and what the right-of-access answer says): 1–365, default 30. */
  logDays?: number;
  /** The relay's clock (tests move it across days). */
  now?: () => number;
  /**
   * Worker threads: `verify` signature-checking threads (default: one per core but one; 0 checks
   * on the main thread), and whether SQLite runs on its own storage thread (default true).
   */
  threads?: { verify?: number; storage?: boolean };
  /** PostgreSQL: how often an instance compares the documents it serves with the tables, for announcements it missed (default 2 s). */
  catchUpMs?: number;
  /** Called when one of the relay's threads died: it stopped serving and must be restarted (the CLI exits 1). */
  onFatal?: (error: Error) => void;
}

export interface RunningRelay {
  /** ws:// or wss:// address clients connect to. */
  url: string;
  /** http:// or https:// address of the same port. */
  httpUrl: string;
  relayId: string;
  store: RelayStorage;
  close(): Promise<void>;
}

async function openStore(options: RelayOptions, instanceId: string, onThreadFailure: (error: Error) => void): Promise<RelayStorage> {
  if (options.postgresUrl) {
    const driver = new PostgresDriver(options.postgresUrl, instanceId);
    const store = await RelayStore.open(driver);
    await driver.listen();
    return store;
  }
  if (!options.dataDir) throw new HearthError('BAD_REQUEST', 'The relay needs --data DIR (a folder for its SQLite file) or --postgres URL.');
  mkdirSync(options.dataDir, { recursive: true });
  const path = join(options.dataDir, 'relay.sqlite');
  if (options.threads?.storage === false) return RelayStore.open(new SqliteDriver(path));
  return openThreadedStore(path, onThreadFailure);
}

/** Starts a relay and resolves once it listens. */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const crypto = useNativeCrypto();
  await loadSodium();
  const limits: RelayLimits = { ...defaultLimits, ...options.limits };
  const purgeWindowMs = options.purgeWindowMs ?? 0;
  if (!(purgeWindowMs >= 0 && purgeWindowMs <= MAX_PURGE_WINDOW_MS)) {
    throw new HearthError('BAD_REQUEST', 'The purge window is between 0 and 30 days; deleted data may not linger longer.');
  }
  const instanceId = randomBytes(12).toString('base64url');
  const logDays = options.logDays ?? DEFAULT_LOG_DAYS;
  if (!(Number.isInteger(logDays) && logDays >= 1 && logDays <= 365)) throw new HearthError('BAD_REQUEST', 'Log files are kept from 1 to 365 days.');
  const now = options.now ?? Date.now;
  const logDir = options.dataDir && !options.log ? join(options.dataDir, 'logs') : undefined;
  const log = new RelayLog(options.log ?? (logDir ? rotatingLogFiles(logDir, logDays, now) : () => undefined), now);
  // A thread that dies takes the relay down with it: clients reconnect (to another instance) rather than hang.
  let stopServing: () => void = () => undefined;
  const onThreadFailure = (error: Error) => {
    log.write('error', 'thread_failed', { message: error.message });
    stopServing();
    options.onFatal?.(error);
  };
  // The threads start side by side: each loads its modules on its own core.
  const [verifier, store] = await Promise.allSettled([
    VerifyPool.acquire(options.threads?.verify ?? defaultVerifyThreads(), onThreadFailure),
    openStore(options, instanceId, onThreadFailure),
  ]).then(async ([verifying, opening]) => {
    if (verifying.status === 'fulfilled' && opening.status === 'fulfilled') return [verifying.value, opening.value] as const;
    if (verifying.status === 'fulfilled') verifying.value.release(onThreadFailure);
    if (opening.status === 'fulfilled') await opening.value.close();
    throw verifying.status === 'rejected' ? verifying.reason : (opening as PromiseRejectedResult).reason;
  });
  const relayId = store.relayId;
  const shared = Boolean(options.postgresUrl);
  const hub = new RelayHub(store, log, limits, options.sessionTtlMs ?? 12 * 3600 * 1000, instanceId);
  const relay: RelayContext = { store, hub, verifier, limits, log, logDays, relayId, nonceTtlMs: options.nonceTtlMs ?? 60_000, purgeWindowMs };
  const { connections } = hub;
  let nextConnectionId = 1;

  // This instance's sessions count against every account's connection limit on all instances;
  // on SQLite it is the only instance, so whatever a previous run left (a kill -9) is stale.
  const heartbeat = () => store.heartbeat(instanceId, Date.now(), Date.now() - 3 * HEARTBEAT_MS, !shared);
  await heartbeat();
  const heartbeatTimer = setInterval(
    () => heartbeat().catch((error: unknown) => log.write('error', 'heartbeat_failed', { message: (error as Error).message })),
    HEARTBEAT_MS,
  );
  heartbeatTimer.unref();
  // With other instances, an announcement can be lost (one killed between commit and NOTIFY): compare now and then.
  const catchUpTimer = shared
    ? setInterval(
        () => hub.catchUp().catch((error: unknown) => log.write('error', 'catch_up_failed', { message: (error as Error).message })),
        options.catchUpMs ?? 2000,
      )
    : undefined;
  catchUpTimer?.unref();

  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.3' }) : createHttpServer();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    serveHttp(store, relayId, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  const wss = new WebSocketServer({ server, maxPayload: limits.maxFrameBytes * 2, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    const connection = new Connection(nextConnectionId++, socket, limits);
    if (connections.size >= limits.maxConnections) {
      connection.send(encodeFrame(errorFrame(null, limitError('LIMIT_EXCEEDED', 'maxConnections', 'The relay is full; try again later.'))));
      socket.close(1013, 'relay full');
      return;
    }
    connections.add(connection);
    socket.on('pong', () => {
      connection.alive = true;
    });
    socket.on('message', (data: Buffer, isBinary) => receiveMessage(relay, connection, data, isBinary));
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      hub.endSession(connection);
      connections.delete(connection);
    });
  });
  wss.on('error', (error) => log.write('error', 'websocket_server', { message: error.message }));

  // Connections whose peer vanished without closing are found by ping and dropped.
  const pingTimer = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }, PING_INTERVAL_MS);
  pingTimer.unref();

  // Accounts deleted with a window > 0 (or left over from a crash) are purged here.
  const purge = () =>
    store
      .purgeDeleted(Date.now() - purgeWindowMs)
      .then((spaces) => spaces.forEach((space) => hub.forgetSpace(space, true)))
      .catch((error: unknown) => log.write('error', 'purge_failed', { message: (error as Error).message }));
  await purge();
  const purgeTimer = setInterval(purge, Math.max(1000, Math.min(purgeWindowMs || 3600_000, 3600_000)));
  purgeTimer.unref();

  let closing: Promise<void> | undefined;
  stopServing = () => {
    server.close();
    for (const connection of connections) connection.socket.terminate();
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const secure = Boolean(options.tls);
  log.write('info', 'listening', {
    host: address.address,
    port: address.port,
    relay: relayId,
    backend: options.postgresUrl ? 'postgres' : 'sqlite',
    crypto: crypto.backend,
  });
  if (crypto.fallbackReason) log.write('warn', 'native_crypto_unavailable', { message: crypto.fallbackReason });

  return {
    url: `${secure ? 'wss' : 'ws'}://${host}:${address.port}/`,
    httpUrl: `${secure ? 'https' : 'http'}://${host}:${address.port}/`,
    relayId,
    store,
    close() {
      closing ??= shutDown();
      return closing;
    },
  };

  // Closing twice (a test's own close, then its cleanup) waits for the first.
  async function shutDown(): Promise<void> {
    clearInterval(purgeTimer);
    clearInterval(pingTimer);
    clearInterval(heartbeatTimer);
    if (catchUpTimer) clearInterval(catchUpTimer);
    for (const connection of connections) connection.socket.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.endInstance(instanceId).catch(() => undefined);
    verifier.release(onThreadFailure);
    await store.close();
  }
}
