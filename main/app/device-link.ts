/**
 * First run, "I already have an account": this device's vault is made with the person's
 * passphrase (as creating one is), then linked to their account through a relay by the same use
 * case `hearth device link` runs. When the attempt fails (declined, unknown user, relay out of
 * reach, timed out) the vault it made holds nothing and goes again, so the welcome screen stays
 * the way in and trying again starts clean; a vault that existed before is kept and reused.
 */
import type { ApiResults } from '../../common/api/contract.ts';
import { HearthError } from '../../common/errors.ts';
import { linkDevice } from '../usecases/devices.ts';
import type { Session } from './session.ts';

export interface LinkRequest {
  passphrase: string;
  relay: string;
  username: string;
  name?: string;
}

/** Makes (or reopens) this device's vault and links it to `username` on `relay`; `onCode` shows the code to compare. */
export async function linkThisDevice(session: Session, request: LinkRequest, onCode: (code: string) => void): Promise<ApiResults['linkDevice']> {
  const made = session.state === 'no-vault';
  if (session.state === 'locked')
    throw new HearthError('VAULT_EXISTS', 'This device already has a vault. Unlock it; to link another account, wipe this device first.');
  if (session.state === 'no-vault')
    // The profile is a placeholder until the account arrives: adopting it replaces the profile.
    await session.createVault({ passphrase: request.passphrase, username: request.username, displayName: request.username });
  // Reopened after an earlier attempt: the passphrase must still be the one it was made with.
  else await session.unlock(request.passphrase);
  const vault = session.requireVault();
  if (vault.syncState.relays().some((r) => r.account))
    throw new HearthError('ALREADY_EXISTS', 'This vault already holds an account; devices are linked from a new vault.');
  try {
    const linked = await session.withOwnEngine((u) => linkDevice(u, request.relay, request.username, onCode, request.name ? { name: request.name } : {}));
    return { profile: vault.profile, workspaces: linked.workspaces };
  } catch (error) {
    // (Locked meanwhile, as when the app closes mid-wait: it stays for the next start to unlock.)
    if (made && session.profile !== null && !vault.syncState.relays().some((r) => r.account)) await session.wipe(vault.profile.username).catch(() => undefined);
    throw error;
  }
}
