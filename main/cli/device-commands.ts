/** `hearth device …`: the account's devices — list them, link a new one, approve it from another, revoke one; and `hearth account recovery-key` / `account recover`, the recovery key (a paper device). */
import * as devices from '../usecases/devices.ts';
import { optionalString, print, readAll, requiredString, table, UsageError, when, withUseCases, type Command } from './invocation.ts';
import { askSecret } from './prompt.ts';

/** "123456" as people read it aloud: "123 456". */
const spaced = (code: string) => `${code.slice(0, 3)} ${code.slice(3)}`;

function waitArg(text: string | undefined): { timeoutMs?: number } {
  if (text === undefined) return {};
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError('--wait takes a number of seconds.');
  return { timeoutMs: seconds * 1000 };
}

export const deviceCommands: Record<string, Command> = {
  'device list': {
    usage: 'hearth device list   (the devices that hold your account, as its signed device log lists them)',
    positionals: [0, 0],
    run: (call) =>
      withUseCases(call, (u) => {
        const listed = devices.listDevices(u);
        print(call, listed, () =>
          table([
            ['NAME', 'ID', 'ADDED', 'STATE'],
            ...listed.map((d) => [
              d.name,
              d.id.slice(0, 8),
              when(d.addedAt),
              d.revokedAt !== undefined ? `revoked ${when(d.revokedAt)}` : d.isThis ? 'this device' : 'active',
            ]),
          ]),
        );
      }),
  },
  'device link': {
    usage:
      'hearth device link --relay URL --username U [--name DEVICE] [--wait SECONDS]   (on a new device, after hearth init: asks to join your account; approve it on a device that holds it)',
    options: { relay: { type: 'string' }, username: { type: 'string' }, name: { type: 'string' }, wait: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const relay = requiredString(call, 'relay', 'device link', 'URL');
      const username = requiredString(call, 'username', 'device link', 'U');
      const name = optionalString(call, 'name');
      const wait = { ...waitArg(optionalString(call, 'wait')), ...(name ? { name } : {}) };
      // With --json, stdout carries only the result: what to tell the person goes to stderr.
      const say = (text: string) => (call.json ? call.io.err(text) : call.io.out(text));
      await withUseCases(call, async (u) => {
        say(`Asked ${username} on ${relay} to add this device. On a device that holds the account, run: hearth device approve\n`);
        const linked = await devices.linkDevice(
          u,
          relay,
          username,
          (code) => say(`Confirmation code: ${spaced(code)}\nCheck that the other device shows the same code, then type it there.\n`),
          wait,
        );
        print(call, linked, () => `This device now holds the account ${linked.username}; joined ${linked.workspaces} workspace(s).\n`);
      });
    },
  },
  'device approve': {
    usage:
      'hearth device approve [--code CODE] [--pairing ID] [--wait SECONDS]   (without --code: answers a new device and shows the code to compare; with it: adds that device)',
    options: { code: { type: 'string' }, pairing: { type: 'string' }, wait: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const code = optionalString(call, 'code');
      const pairing = optionalString(call, 'pairing');
      const wait = waitArg(optionalString(call, 'wait'));
      await withUseCases(call, async (u) => {
        if (code === undefined) {
          const asked = await devices.answerDevice(u, pairing, wait);
          print(
            call,
            asked,
            () => `The new device "${asked.name}" should show the code ${spaced(asked.code)}.\nIf it does, run: hearth device approve --code ${asked.code}\n`,
          );
          return;
        }
        const approved = await devices.approveDevice(u, code, pairing);
        print(call, approved, () => `Added "${approved.name}" to your account on ${approved.relays.length} relay(s); it receives the account now.\n`);
      });
    },
  },
  'device revoke': {
    usage:
      'hearth device revoke NAME [--confirm-code CODE]   (on every relay at once, with a new key for every workspace; a vault with a second factor confirms with a recovery code)',
    options: { 'confirm-code': { type: 'string' } },
    positionals: [1, 1],
    async run(call) {
      const name = call.positionals[0]!;
      const confirmCode = optionalString(call, 'confirm-code');
      await withUseCases(call, async (u) => {
        const revoked = await devices.revokeDevice(u, name, confirmCode ? { kind: 'recovery', code: confirmCode } : undefined);
        print(
          call,
          revoked,
          () => `Revoked ${name} on ${revoked.relays.length} relay(s): it can no longer sign in, and nothing written from now on opens with its keys.\n`,
        );
      });
    },
  },
  'account recovery-key': {
    usage:
      'hearth account recovery-key [--confirm-code CODE]   (makes a new recovery key on every relay your account is on, replacing the old one; shown once: write it down)',
    options: { 'confirm-code': { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const confirmCode = optionalString(call, 'confirm-code');
      await withUseCases(call, async (u) => {
        const made = await devices.makeRecoveryKey(u, confirmCode ? { kind: 'recovery', code: confirmCode } : undefined);
        print(
          call,
          made,
          () =>
            `Your recovery key (shown once, kept nowhere; write it down and keep it away from this computer):\n\n    ${made.key}\n\n` +
            `With it and your username, \`hearth account recover\` brings back the account and its team workspaces on a new computer when every device is lost.\n` +
            `It does not cover personal workspaces (they stay in this vault: keep a backup). Any older recovery key no longer works.\n`,
        );
      });
    },
  },
  'account recover': {
    usage:
      'hearth account recover --relay URL --username U [--name DEVICE]   (on a fresh vault, after hearth init: brings back your account with its recovery key, read from the terminal or stdin)',
    options: { relay: { type: 'string' }, username: { type: 'string' }, name: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const relay = requiredString(call, 'relay', 'account recover', 'URL');
      const username = requiredString(call, 'username', 'account recover', 'U');
      const name = optionalString(call, 'name');
      await withUseCases(call, async (u) => {
        const key = call.io.stdin.isTTY ? await askSecret('Recovery key: ') : (await readAll(call.io.stdin)).trim();
        const recovered = await devices.recoverAccount(u, relay, username, key, name);
        print(
          call,
          recovered,
          () =>
            `This device now holds the account ${recovered.username} (on ${recovered.relays.join(', ')}); joined ${recovered.workspaces} workspace(s).\n` +
            `Your other devices were not revoked: revoke the lost ones with \`hearth device revoke NAME\` (\`hearth device list\` names them), and make a new recovery key with \`hearth account recovery-key\` if the paper may have been seen.\n`,
        );
      });
    },
  },
};
