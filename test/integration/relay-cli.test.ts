// The relay as an operator runs it: the CLI's flags and errors, and TLS 1.3 served directly.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RelayClient, type WebSocketLike } from '../../common/protocol/client.ts';
import { selfSignedCertificate, startTestRelay } from './relay-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'hearth-relay-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('relay CLI', () => {
  it('explains its flags, and refuses bad ones with exit code 2 and what to do', async () => {
    const [help, port, tls, purge, bogus, threads, logDays] = await Promise.all([
      runCli(['--help']),
      runCli(['--port', 'abc']),
      runCli(['--tls-cert', 'x.pem']),
      runCli(['--purge-days', '45']),
      runCli(['--bogus']),
      runCli(['--verify-threads', 'many']),
      runCli(['--log-days', '0']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--postgres URL');
    expect(help.stdout).toContain('--verify-threads N');
    expect(help.stdout).toContain('--log-days N');
    expect(logDays).toMatchObject({ code: 2, stderr: expect.stringContaining('--log-days must be a whole number of days from 1 to 365') });
    expect(threads).toMatchObject({ code: 2, stderr: expect.stringContaining('--verify-threads must be a number') });
    expect(port).toMatchObject({ code: 2, stderr: expect.stringContaining('--port must be a number') });
    expect(tls).toMatchObject({ code: 2, stderr: expect.stringContaining('both --tls-cert and --tls-key') });
    expect(purge.code).toBe(2);
    expect(bogus.code).toBe(2);
  });

  it('starts on 127.0.0.1 by default with native crypto, logs JSON lines into a daily file in its data folder, and stops cleanly on SIGTERM', async () => {
    const data = join(dir, 'data');
    const child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts', '--port', '0', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = await new Promise<string>((resolve) => child.stderr.once('data', (d: Buffer) => resolve(d.toString())));
    expect(started).toContain(`log in ${data}/logs, kept 30 days`);
    const port = Number(/:(\d+)\//.exec(started)![1]);
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ ok: true });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const [file] = readdirSync(join(data, 'logs'));
    expect(file).toMatch(/^relay-\d{4}-\d{2}-\d{2}\.log$/);
    const listening = JSON.parse(readFileSync(join(data, 'logs', file!), 'utf8').split('\n')[0]!) as { event: string; host: string; port: number };
    expect(listening).toMatchObject({ event: 'listening', host: '127.0.0.1', port, crypto: 'sodium-native' });
  });

  it('logs to stdout instead with --log-stdout', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts', '--port', '0', '--data', join(dir, 'data-stdout'), '--log-stdout'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().split('\n')[0]!)));
    // SIGTERM once it answers, as above: sent in the instant after the startup line (since native crypto
    // came in), the signal ended the process before its handler ran, three runs out of three.
    const started = await new Promise<string>((resolve) => child.stderr.once('data', (d: Buffer) => resolve(d.toString())));
    expect(started).toContain('log on stdout');
    const listening = JSON.parse(await line) as { port: number };
    expect(listening).toMatchObject({ event: 'listening', host: '127.0.0.1' });
    expect(await (await fetch(`http://127.0.0.1:${listening.port}/health`)).json()).toEqual({ ok: true });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('TLS', () => {
  it('serves wss over TLS 1.3 only', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    selfSignedCertificate(cert, key);
    const relay = await startTestRelay({ tls: { cert: readFileSync(cert), key: readFileSync(key) } });
    try {
      expect(relay.url.startsWith('wss://')).toBe(true);
      const ca = readFileSync(cert);
      const client = await RelayClient.connect(relay.url, (url) => new WebSocket(url, { ca }) as unknown as WebSocketLike);
      expect((await client.hello()).relayId).toBe(relay.relayId);
      client.close();
      const port = Number(new URL(relay.url).port);
      const tls12 = await new Promise<string>((resolve) => {
        const socket = tlsConnect({ host: '127.0.0.1', port, ca, maxVersion: 'TLSv1.2' }, () => resolve(`connected ${socket.getProtocol()}`));
        socket.on('error', () => resolve('refused'));
      });
      expect(tls12).toBe('refused');
      const tls13 = await new Promise<string>((resolve) => {
        const socket = tlsConnect({ host: '127.0.0.1', port, ca }, () => {
          resolve(socket.getProtocol() ?? '');
          socket.end();
        });
        socket.on('error', (e) => resolve(e.message));
      });
      expect(tls13).toBe('TLSv1.3');
    } finally {
      await relay.stop();
    }
  });
});
