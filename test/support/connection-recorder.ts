/**
 * For S2 and S8: records every way Node opens a connection or resolves a name (TCP/IPC sockets,
 * under which sit TLS, HTTP, ws, pg and fetch's undici; DNS; UDP; fetch) until stopped.
 * Nothing is blocked: a test asserts on what was attempted.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';

export interface ConnectionAttempt {
  via: string;
  /** host:port or socket path for connections, `dns:name` for lookups, `fetch:url` for fetch. */
  target: string;
}

export function recordConnections(): { attempts: ConnectionAttempt[]; stop(): void } {
  const attempts: ConnectionAttempt[] = [];
  const restore: Array<() => void> = [];
  const wrap = <T extends object, K extends keyof T>(owner: T, key: K, via: string, describe: (args: unknown[]) => string) => {
    const original = owner[key] as unknown as (...args: unknown[]) => unknown;
    (owner as Record<K, unknown>)[key] = function (this: unknown, ...args: unknown[]) {
      attempts.push({ via, target: describe(args) });
      return original.apply(this, args);
    };
    restore.push(() => ((owner as Record<K, unknown>)[key] = original));
  };
  const endpoint = (args: unknown[]) => {
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    if (typeof first === 'object' && first !== null) {
      const o = first as { host?: string; port?: number; path?: string };
      return o.path ?? `${o.host ?? 'localhost'}:${o.port}`;
    }
    return `${String(args[1] ?? 'localhost')}:${String(first)}`;
  };
  wrap(net.Socket.prototype, 'connect', 'net.Socket#connect', endpoint);
  wrap(dns, 'lookup', 'dns.lookup', (args) => `dns:${String(args[0])}`);
  wrap(dns, 'resolve', 'dns.resolve', (args) => `dns:${String(args[0])}`);
  wrap(dns.promises, 'lookup', 'dns.promises.lookup', (args) => `dns:${String(args[0])}`);
  wrap(dgram.Socket.prototype, 'send', 'dgram.Socket#send', (args) => String(args[args.length - 2] ?? ''));
  wrap(globalThis, 'fetch', 'fetch', (args) => `fetch:${String(args[0])}`);
  return {
    attempts,
    stop: () =>
      restore
        .splice(0)
        .reverse()
        .forEach((undo) => undo()),
  };
}
