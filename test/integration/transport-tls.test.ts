// Issue 12, item 6: usernames, names, avatars, signatures and metadata never cross a network in
// the clear. ws:// (and http:// for links) is refused to anything but this computer before any
// connection is attempted, and wss:// insists on TLS 1.3: a relay behind a TLS 1.2-only proxy is
// refused, one serving TLS 1.3 is used. The `hearth` command runs as a real process that trusts
// the test's self-signed certificate through NODE_EXTRA_CA_CERTS, as an operator's would.
import { connect as netConnect, Socket, type AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkLinkAddress, checkRelayAddress, isLoopbackHost } from '../../common/transport.ts';
import { SyncEngine } from '../../main/sync/engine.ts';
import { openPublicLink } from '../../main/sync/links.ts';
import { recordConnections } from '../support/connection-recorder.ts';
import { createTestVault, tempDir } from '../support/vault.ts';
import { runHearth } from './cli-fixture.ts';
import { selfSignedCertificate, startTestRelay, type TestRelay } from './relay-fixture.ts';
import { codeOf } from '../support/refusal.ts';

/** Preloaded into the CLI processes here: a connection off this machine throws before any packet leaves. */
const LOOPBACK_ONLY = join(import.meta.dirname, '../support/loopback-only.mjs');

describe('the rule (common/transport.ts)', () => {
  it('allows ws:// and http:// only to loopback, wss:// and https:// anywhere', () => {
    for (const url of [
      'ws://127.0.0.1:8787',
      'ws://127.1.2.3/',
      'ws://localhost:1',
      'ws://LOCALHOST:1',
      'ws://[::1]:8787',
      'ws://2130706433:80',
      'wss://relay.example',
      'wss://10.0.0.1',
    ]) {
      expect(() => checkRelayAddress(url), url).not.toThrow();
    }
    for (const url of [
      'ws://relay.example',
      'ws://10.0.0.1:8787',
      'ws://128.0.0.1',
      'ws://localhost.evil.example',
      'ws://127.0.0.1.evil.example',
      'ws://[::ffff:8.8.8.8]',
      'ws://0.0.0.0',
    ]) {
      expect(() => checkRelayAddress(url), url).toThrow(/Use wss:\/\//);
    }
    expect(() => checkRelayAddress('http://relay.example')).toThrow(/starts with wss:\/\//);
    expect(isLoopbackHost('127.0.0.256')).toBe(false);
    expect(() => checkLinkAddress(new URL('http://relay.example/p/x#k'))).toThrow(/Use the link's https:\/\/ address/);
    expect(checkLinkAddress(new URL('http://127.0.0.1:8787/p/x#k')).host).toBe('127.0.0.1:8787');
    expect(checkLinkAddress(new URL('https://relay.example/p/x#k')).host).toBe('relay.example');
  });
});

describe('ws:// and http:// to another machine', () => {
  it('are refused with INSECURE_TRANSPORT before any connection is attempted', async () => {
    const vault = await createTestVault();
    const engine = new SyncEngine(vault);
    const recorder = recordConnections();
    // Belt and braces: should the rule ever break, this test still sends nothing off the machine.
    const connect = Socket.prototype.connect;
    const blocked: string[] = [];
    const guard = vi.spyOn(Socket.prototype, 'connect').mockImplementation(function (this: Socket, ...args: unknown[]) {
      const options = args[0] as { host?: string } | number;
      const host = typeof options === 'object' ? options.host : (args[1] as string | undefined);
      if (host && !isLoopbackHost(host) && host !== '::1') {
        blocked.push(host);
        throw new Error(`the test blocked a connection to ${host}`);
      }
      return (connect as (...a: unknown[]) => Socket).apply(this, args);
    });
    try {
      const remote = 'ws://192.0.2.1:8787';
      expect(await codeOf(engine.register(remote))).toBe('INSECURE_TRANSPORT');
      expect(await codeOf(engine.createTeamWorkspace('Team', remote))).toBe('INSECURE_TRANSPORT');
      expect(await codeOf(() => engine.addRelay(remote))).toBe('INSECURE_TRANSPORT');
      expect(await codeOf(openPublicLink('http://192.0.2.1:8787/p/abc#key'))).toBe('INSECURE_TRANSPORT');
      await engine.register(remote).catch((error: Error) => expect(error.message).toContain('Use wss://192.0.2.1:8787'));
      expect(vault.syncState.relays()).toEqual([]);
    } finally {
      guard.mockRestore();
      recorder.stop();
      await engine.close();
      vault.lock();
    }
    expect(blocked).toEqual([]);
    expect(recorder.attempts).toEqual([]);
  });

  it('the hearth command says to use wss:// and exits 1', async () => {
    const vaultDir = join(tempDir(), 'vault');
    const env = { ...process.env, HEARTH_VAULT: vaultDir, HEARTH_PASSPHRASE: 'transport passphrase', NODE_OPTIONS: `--import ${LOOPBACK_ONLY}` };
    expect((await runHearth(['init', '--username', 'tls-user'], env)).code).toBe(0);
    const run = await runHearth(['account', 'register', '--relay', 'ws://192.0.2.1:8787'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^hearth: Hearth does not connect to 192\.0\.2\.1:8787 over ws:\/\/: .* Use wss:\/\/192\.0\.2\.1:8787 \(TLS 1\.3\)/);
    expect(run.stderr).not.toContain('loopback-only: blocked');
  });
});

describe('wss:// insists on TLS 1.3', () => {
  const dir = tempDir('hearth-tls-');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  let tls13Relay: TestRelay;
  let plainRelay: TestRelay;
  let tls12Proxy: TlsServer;
  let tls12Url: string;

  beforeAll(async () => {
    selfSignedCertificate(cert, key);
    tls13Relay = await startTestRelay({ tls: { cert: readFileSync(cert), key: readFileSync(key) } });
    // A real relay behind a TLS-terminating proxy that offers TLS 1.2 at most, as a badly set up
    // reverse proxy would: everything but the TLS version is right.
    plainRelay = await startTestRelay();
    const relayPort = Number(new URL(plainRelay.url).port);
    tls12Proxy = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key), minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, (socket) => {
      const upstream = netConnect(relayPort, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => tls12Proxy.listen(0, '127.0.0.1', resolve));
    tls12Url = `wss://127.0.0.1:${(tls12Proxy.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (tls12Proxy ? tls12Proxy.close(() => resolve()) : resolve()));
    await tls13Relay?.stop();
    await plainRelay?.stop();
  });

  const hearthTrusting = (vaultDir: string, args: string[]) =>
    runHearth(args, {
      ...process.env,
      HEARTH_VAULT: vaultDir,
      HEARTH_PASSPHRASE: 'transport passphrase',
      NODE_EXTRA_CA_CERTS: cert,
      NODE_OPTIONS: `--import ${LOOPBACK_ONLY}`,
    });

  it('a relay offering only TLS 1.2 is refused, saying why; one serving TLS 1.3 is used', async () => {
    const vaultDir = join(dir, 'vault');
    expect((await hearthTrusting(vaultDir, ['init', '--username', 'tls-user'])).code).toBe(0);

    const refused = await hearthTrusting(vaultDir, ['account', 'register', '--relay', tls12Url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`The relay at ${tls12Url} does not offer TLS 1.3, which Hearth requires for wss://; nothing was sent.`);

    const accepted = await hearthTrusting(vaultDir, ['account', 'register', '--relay', tls13Relay.url, '--json']);
    expect(accepted.stderr).toBe('');
    expect(JSON.parse(accepted.stdout)).toMatchObject({ relay: tls13Relay.url, username: 'tls-user' });
  });
});
