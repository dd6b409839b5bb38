/**
 * The recovery key in the app (main/sync/recovery.ts does the work): whether the account has one,
 * making one (shown once: returned to the page, kept nowhere), and the first run's "Recover with a
 * recovery key", which makes this device's vault and brings the account back into it, or leaves
 * no vault at all when the key is mistyped or not the account's.
 */
import type { ApiResults } from '../../common/api/contract.ts';
import { parseRecoveryKey } from '../../common/devices/recovery-key.ts';
import { HearthError } from '../../common/errors.ts';
import { makeRecoveryKey as make } from '../usecases/devices.ts';
import type { Unlocked } from '../usecases/unlocked.ts';
import type { SecondFactorProof } from '../vault/second-factor.ts';
import type { Session } from './session.ts';

export function recoveryKeyState(u: Unlocked): ApiResults['recoveryKeyState'] {
  const registered = u.vault.syncState.relays().some((r) => r.account);
  const active = registered ? u.engine.devices.list().find((d) => d.kind === 'recovery' && d.revokedAt === undefined) : undefined;
  return { registered, active: active !== undefined, ...(active ? { madeAt: active.addedAt } : {}) };
}

export function makeRecoveryKey(u: Unlocked, proof: SecondFactorProof | undefined): Promise<ApiResults['makeRecoveryKey']> {
  return make(u, proof);
}

/**
 * First run: a new vault (locked with `passphrase`) becomes the account called `username` on
 * `relay`, brought back with its recovery key, and joins its workspaces. A mistyped key is refused
 * before the vault is made; a key the relay refuses shreds the vault just made.
 */
export async function recoverOnFirstRun(
  session: Session,
  input: { relay: string; username: string; recoveryKey: string; passphrase: string },
): Promise<ApiResults['recoverAccount']> {
  if (session.state !== 'no-vault')
    throw new HearthError(
      'VAULT_EXISTS',
      'This device already has a vault. Recover on a device without one (or wipe this one first in Settings → Danger Zone), or run `hearth account recover` with --vault OTHER_DIR.',
    );
  parseRecoveryKey(input.recoveryKey);
  await session.createVault({ passphrase: input.passphrase, username: input.username, displayName: input.username });
  let recovered: { relays: string[] };
  try {
    recovered = await session.requireSync().recovery.recover(input.relay, input.username, input.recoveryKey);
  } catch (error) {
    await session.lock('user', (made) => made.wipe());
    throw error;
  }
  await session.reopenSync();
  const workspaces = await session.requireSync().pairing.joinLinked();
  return { profile: session.requireVault().profile, workspaces, relays: recovered.relays };
}
