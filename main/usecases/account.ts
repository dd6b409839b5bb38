/**
 * The account: its profile, what each relay holds about it (the right-of-access answer), and
 * deleting it everywhere. A relay that is gone for good can be skipped when deleting, but only
 * when the person named it: the app names each relay it could not reach and asks, the CLI's
 * --force-local skips whichever cannot be reached and names them afterwards.
 */
import type { SecondFactorProof } from '../vault/second-factor.ts';
import type { SavedProfile } from '../../common/api/contract.ts';
import { isUsername, USERNAME_RULE } from '../../common/username.ts';
import { deliveryState } from '../sync/profile.ts';
import { HearthError, isHearthError, type ErrorCode } from '../../common/errors.ts';
import type { AccessReport } from '../../common/protocol/messages.ts';
import type { AccountDeletionResult } from '../sync/account.ts';
import { checkUsername, type Unlocked } from './unlocked.ts';

/** How long a relay has to answer before it counts as out of reach. */
export const RELAY_ANSWER_MS = 5000;

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HearthError('UNAVAILABLE', `${what} did not answer within ${ms / 1000} s.`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Changes the profile here, then sends it to every relay the account is on and into every team
 * directory (main/sync/profile.ts), and says where it went and where it waits for a relay that is
 * offline. `change.avatar`: a data URL sets it, null removes it, absent leaves it. A new username
 * must be free on every relay that answers (ALREADY_EXISTS, nothing changed, when one has it).
 */
export async function updateProfile(u: Unlocked, change: { username?: string; displayName?: string; avatar?: string | null }): Promise<SavedProfile> {
  const before = u.vault.profile;
  const renamed = change.username !== undefined && change.username !== before.username;
  if (renamed) await checkUsernameFree(u, change.username!);
  const profile = u.vault.updateProfile({
    ...(renamed ? { username: change.username! } : {}),
    ...(change.displayName === undefined ? {} : { displayName: change.displayName }),
    ...(change.avatar === undefined ? {} : { avatar: change.avatar ?? undefined }),
  });
  const what = [
    renamed ? `username ${before.username} → ${profile.username}` : '',
    profile.displayName !== before.displayName ? 'display name' : '',
    profile.avatar !== before.avatar ? 'avatar' : '',
  ].filter(Boolean);
  u.vault.audit.record('profile.changed', what.join(', ') || 'saved unchanged');
  const { readOnly } = u.engine.profile.updateDirectories();
  const relays = await Promise.all(
    u.engine.profile.registeredRelays().map((url) =>
      withTimeout(u.engine.profile.deliver(url), RELAY_ANSWER_MS, url).then(
        () => deliveryState(url, undefined),
        (error: unknown) => deliveryState(url, error),
      ),
    ),
  );
  // While the app syncs live, a relay that is offline gets it as soon as it can be reached.
  if (relays.some((r) => r.state === 'waiting')) u.engine.profile.retryWaiting();
  return { ...profile, relays, directoriesNotUpdated: readOnly.map((id) => u.vault.workspaces.get(id).name) };
}

/** Where this vault's latest profile change stands on each relay it is registered on, without sending anything. */
export function profileDelivery(u: Unlocked): SavedProfile['relays'] {
  return u.engine.profile
    .registeredRelays()
    .map((relay) =>
      u.engine.profile.isWaiting(relay)
        ? { relay, state: 'waiting', problem: `${relay} does not have your latest profile yet; it is sent on the next connection to it.` }
        : { relay, state: 'updated' },
    );
}

/** Refuses a username another account has on a relay that answers; a relay out of reach checks it when the update arrives. */
async function checkUsernameFree(u: Unlocked, username: string): Promise<void> {
  if (!isUsername(username)) throw new HearthError('BAD_REQUEST', USERNAME_RULE);
  for (const url of u.engine.profile.registeredRelays()) {
    let free: boolean;
    try {
      free = await withTimeout(u.engine.profile.usernameFreeOn(url, username), RELAY_ANSWER_MS, url);
    } catch (error) {
      if (isHearthError(error, 'UNAVAILABLE')) continue;
      throw error;
    }
    if (!free) throw new HearthError('ALREADY_EXISTS', `The username ${username} is taken on ${url}; choose another. Nothing was changed.`);
  }
}

/** Publishes username, display name and avatar on a relay (nothing else), so people there can invite this account. */
export function registerAccount(u: Unlocked, relay: string): Promise<{ relay: string; account: string; username: string }> {
  return u.engine.register(relay);
}

/** One relay's answer to the right-of-access request, or why there is none. */
export interface RelayAnswer {
  relay: string;
  account?: string;
  registeredAt?: number;
  report?: AccessReport;
  problem?: { code: ErrorCode; message: string };
}

/** What each relay this vault knows holds about its account (or only `relay`'s). Asked in parallel; one that does not answer says why. */
export async function accessReports(u: Unlocked, relay?: string): Promise<RelayAnswer[]> {
  const known = u.engine.relays();
  const asked = relay === undefined ? known : known.filter((r) => r.url === relay);
  if (relay !== undefined && asked.length === 0) {
    throw new HearthError(
      'NOT_FOUND',
      `This vault has never used the relay ${relay}, so it holds nothing about you. Relays it knows: ${known.map((r) => r.url).join(', ') || 'none'}.`,
    );
  }
  return Promise.all(
    asked.map(async ({ url, account, registeredAt }): Promise<RelayAnswer> => {
      const base = { relay: url, ...(account ? { account } : {}), ...(registeredAt ? { registeredAt } : {}) };
      if (!account) return { ...base, problem: { code: 'UNAUTHENTICATED', message: 'No account here yet: this relay holds nothing about you.' } };
      try {
        const { report } = await withTimeout(u.engine.accessReport(url), RELAY_ANSWER_MS, url);
        return { ...base, report };
      } catch (error) {
        return {
          ...base,
          problem: isHearthError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: (error as Error).message },
        };
      }
    }),
  );
}

/** The relays an account deletion must reach, and which of them answer now (the others would have to be skipped). */
export async function describeAccountDeletion(u: Unlocked): Promise<{ relays: Array<{ url: string; reachable: boolean; problem?: string }> }> {
  const answers = (await accessReports(u)).filter((a) => a.account);
  return {
    relays: answers.map((a) =>
      a.problem?.code === 'UNAVAILABLE' ? { url: a.relay, reachable: false, problem: a.problem.message } : { url: a.relay, reachable: true },
    ),
  };
}

/** Which relays that cannot be reached an account deletion may skip: none (the default), whichever (the CLI's --force-local), or only those named (the app). */
export interface RelaySkipping {
  skipUnreachable?: boolean;
  skipRelays?: readonly string[];
}

/**
 * Deletes the account on every relay this vault is registered on, then `wipe`s this device (the
 * door's own wipe: the app locks and tells its pages, the CLI removes the vault). Refuses, with
 * nothing deleted anywhere, when the username is not typed exactly or a relay cannot be reached
 * that may not be skipped. What a skipped relay holds stays there; the result names it. With a
 * second factor enrolled, `proof` (the key's PRF output or a recovery code) must confirm it.
 */
export async function deleteAccount(
  u: Unlocked,
  confirm: string,
  skipping: RelaySkipping,
  wipe: () => Promise<void>,
  proof?: SecondFactorProof,
): Promise<AccountDeletionResult> {
  checkUsername(u.vault, confirm, 'deleted');
  u.vault.secondFactor.check(proof, 'delete the account');
  const named = skipping.skipRelays ?? [];
  if (!skipping.skipUnreachable && named.length > 0) await checkOnlyNamedAreOut(u, named);
  const result = await u.engine.deleteAccount({ skipUnreachable: skipping.skipUnreachable === true || named.length > 0 });
  await wipe();
  return result;
}

/** Every registered relay the person did not name must answer now: only a named one may be skipped. */
async function checkOnlyNamedAreOut(u: Unlocked, named: readonly string[]): Promise<void> {
  const registered = u.engine
    .relays()
    .filter((r) => r.account)
    .map((r) => r.url);
  const strangers = named.filter((url) => !registered.includes(url));
  if (strangers.length > 0)
    throw new HearthError('BAD_REQUEST', `Your account is not on ${strangers.join(', ')}, so there is nothing to skip there; nothing was deleted.`);
  const answers = await accessReports(u);
  const out = answers.filter((a) => a.account && a.problem?.code === 'UNAVAILABLE' && !named.includes(a.relay));
  if (out.length > 0) {
    throw new HearthError(
      'UNAVAILABLE',
      `Cannot reach ${out.map((a) => a.relay).join(', ')} to delete your account there; nothing was deleted, here or on any relay. Try again when it is back, or, if it is gone for good, skip it too.`,
    );
  }
}
