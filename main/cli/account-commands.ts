/** `hearth account …` and `hearth profile set`: the account on relays, what they hold about it, deleting it, the public profile. */
import type { SavedProfile } from '../../common/api/contract.ts';
import { readFileSync } from 'node:fs';
import { HearthError } from '../../common/errors.ts';
import { describeRemaining, eraseCopies, localCopies } from '../app/local-copies.ts';
import * as account from '../usecases/account.ts';
import { optionalString, print, requiredString, UsageError, when, withUseCases, type Command } from './invocation.ts';

/** Image types an avatar may be, by the bytes they start with (the name of a file proves nothing). */
const AVATAR_SIGNATURES: Array<{ type: string; matches: (b: Buffer) => boolean }> = [
  { type: 'image/png', matches: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: 'image/jpeg', matches: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', matches: (b) => b.subarray(0, 4).toString('latin1') === 'GIF8' },
  { type: 'image/webp', matches: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
];

/** The avatar file as the data URL a profile keeps. */
function avatarFromFile(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new UsageError(`Cannot read ${path}.`);
  }
  const type = AVATAR_SIGNATURES.find((s) => s.matches(bytes))?.type;
  if (!type) throw new HearthError('BAD_REQUEST', `${path} is not a PNG, JPEG, WebP or GIF image; nothing was changed.`);
  return `data:${type};base64,${bytes.toString('base64')}`;
}

function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** One relay's right-of-access answer, for people. */
function describeAnswer(answer: account.RelayAnswer): string {
  const report = answer.report;
  if (!report) return `${answer.relay}: not asked (${answer.problem?.message ?? 'no answer'})\n`;
  const lines = [
    `${answer.relay} holds about you:`,
    `  account        ${report.username} (${report.displayName}), created ${when(report.createdAt)}, last sign-in ${report.lastSignInAt === null ? 'never' : when(report.lastSignInAt)}`,
    `  stored         ${kib(report.bytesStored)} of ciphertext you wrote, avatar ${kib(report.avatarBytes)}`,
    `  spaces         ${report.spaces.length}${report.spaces.map((s) => `\n    ${s.space}  ${s.kind}, ${s.role}, ${kib(s.bytesStored)} (${kib(s.bytesAuthored)} by you)`).join('')}`,
    `  key envelopes  ${report.envelopes.length} (sealed to your key; the relay cannot open them)`,
    `  public links   ${report.links.filter((l) => !l.revoked).length} active, ${report.links.filter((l) => l.revoked).length} revoked`,
    `  devices        ${(report.devices ?? []).map((d) => `${d.name}${d.revokedAt === null ? '' : ' (revoked)'}${d.lastSeenAt === null ? '' : `, last seen ${when(d.lastSeenAt)}`}`).join('; ') || 'none listed (signed in with the account key)'}`,
    `  its logs       ${report.logs ? `kept ${report.logs.retentionDays} days: ${report.logs.holds}` : 'the relay does not say what they hold'}`,
  ];
  return `${lines.join('\n')}\n`;
}

export const accountCommands: Record<string, Command> = {
  'account register': {
    usage: 'hearth account register --relay URL   (publishes your username, display name and avatar there)',
    options: { relay: { type: 'string' } },
    positionals: [0, 0],
    async run(call) {
      const relay = requiredString(call, 'relay', 'account register', 'URL');
      await withUseCases(call, async (u) => {
        const registered = await account.registerAccount(u, relay);
        print(call, registered, () => `Registered ${registered.username} on ${relay}\n`);
      });
    },
  },
  'account access': {
    usage: 'hearth account access [--relay URL]   (what each relay you use holds about you: its answer to your right-of-access request)',
    options: { relay: { type: 'string' } },
    positionals: [0, 0],
    run: (call) =>
      withUseCases(call, async (u) => {
        const answers = await account.accessReports(u, optionalString(call, 'relay'));
        print(call, answers, () =>
          answers.length === 0 ? 'This vault uses no relay: no relay holds anything about you.\n' : answers.map(describeAnswer).join('\n'),
        );
        const failed = answers.find((a) => a.problem && a.account);
        if (failed) throw new HearthError(failed.problem!.code, `${failed.relay} did not answer: ${failed.problem!.message}`);
      }),
  },
  'account delete': {
    usage:
      'hearth account delete --confirm USERNAME [--force-local]   (deletes your account on every relay you registered on, then wipes this device; it cannot be undone.' +
      ' --force-local skips relays that cannot be reached, for a relay that is gone for good: what it still holds stays there.' +
      ' A vault with a second factor confirms with another recovery code: --confirm-code CODE.' +
      ' The exports and backups Hearth wrote stay, listed, unless --erase-copies erases them too)',
    options: { confirm: { type: 'string' }, 'force-local': { type: 'boolean' }, 'confirm-code': { type: 'string' }, 'erase-copies': { type: 'boolean' } },
    positionals: [0, 0],
    async run(call) {
      const confirm = optionalString(call, 'confirm');
      if (confirm === undefined) throw new UsageError('account delete needs --confirm USERNAME, typed exactly as your username.');
      const skipUnreachable = call.values['force-local'] === true;
      const code = optionalString(call, 'confirm-code');
      await withUseCases(call, async (u) => {
        const found = localCopies(u.vault);
        let copies: ReturnType<typeof eraseCopies> = { erased: [], remaining: found };
        const result = await account.deleteAccount(
          u,
          confirm,
          { skipUnreachable },
          async () => {
            await u.engine.close();
            copies = eraseCopies(found, call.values['erase-copies'] === true ? found.map((c) => c.path) : []);
            u.vault.wipe();
          },
          code ? { kind: 'recovery', code } : undefined,
        );
        print(
          call,
          { ...result, wiped: call.vaultDir, copiesErased: copies.erased, copiesLeft: copies.remaining },
          () =>
            `Deleted your account on ${result.relays} relay(s): ${result.spacesDeleted} space(s) you alone owned deleted, ${result.spacesKept} shared space(s) left to their other members.\n` +
            (result.skipped.length ? `Not reached (skipped with --force-local; what they hold stays there): ${result.skipped.join(', ')}\n` : '') +
            `Wiped the vault at ${call.vaultDir}: keys destroyed, files overwritten and removed.\n` +
            (copies.erased.length ? `Erased ${copies.erased.map((c) => c.path).join(', ')}.\n` : '') +
            `${describeRemaining(copies.remaining)}\n`,
        );
      });
    },
  },
  'profile set': {
    usage:
      'hearth profile set [--name N] [--username U] [--avatar FILE | --no-avatar]   (your profile here, sent signed to every relay your account is on and into your team directories)',
    options: { name: { type: 'string' }, username: { type: 'string' }, avatar: { type: 'string' }, 'no-avatar': { type: 'boolean' } },
    positionals: [0, 0],
    async run(call) {
      const name = optionalString(call, 'name');
      const username = optionalString(call, 'username');
      const avatarFile = optionalString(call, 'avatar');
      const removeAvatar = call.values['no-avatar'] === true;
      if (name === undefined && username === undefined && avatarFile === undefined && !removeAvatar)
        throw new UsageError('profile set needs --name N, --username U, --avatar FILE or --no-avatar.');
      if (avatarFile !== undefined && removeAvatar) throw new UsageError('Give either --avatar FILE or --no-avatar, not both.');
      const avatar = avatarFile === undefined ? (removeAvatar ? null : undefined) : avatarFromFile(avatarFile);
      await withUseCases(call, async (u) => {
        const profile = await account.updateProfile(u, {
          ...(name === undefined ? {} : { displayName: name }),
          ...(username === undefined ? {} : { username }),
          ...(avatar === undefined ? {} : { avatar }),
        });
        print(call, profile, () => describeSavedProfile(profile));
      });
    },
  },
};

/** What `profile set` prints: the profile, then where it went and where it waits, one relay a line. */
function describeSavedProfile(profile: SavedProfile): string {
  const lines = [`${profile.username} is now shown as ${profile.displayName}${profile.avatar ? ', with an avatar' : ', without an avatar'}.`];
  if (profile.relays.length === 0) lines.push('Saved on this device only: your account is on no relay yet.');
  for (const { relay, state, problem } of profile.relays) {
    if (state === 'updated') lines.push(`Sent to ${relay} and your team directories there.`);
    else if (state === 'waiting') lines.push(`Waits for relay ${relay}, offline: sent when it can be reached again.`);
    else lines.push(`Refused by ${relay}: ${problem ?? 'no reason given'}`);
  }
  for (const name of profile.directoriesNotUpdated) lines.push(`Not in the member list of ${name}: a Commenter or Viewer cannot change it there.`);
  return `${lines.join('\n')}\n`;
}
