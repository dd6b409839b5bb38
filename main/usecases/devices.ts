/**
 * This account's devices, for both doors: listing them, linking this vault as a new device of an
 * account (then joining the account's workspaces with a sync engine opened for it), answering and
 * approving a new device from a device of the account, and revoking one (main/sync/pairing.ts,
 * main/sync/device-changes.ts).
 */
import type { SecondFactorProof } from '../vault/second-factor.ts';
import type { DeviceListing, RevocationResult } from '../sync/device-changes.ts';
import { SyncEngine, type SyncEngineOptions } from '../sync/engine.ts';
import type { PairingWait, PendingDevice } from '../sync/pairing.ts';
import type { Unlocked } from './unlocked.ts';

export function listDevices(u: Unlocked): DeviceListing[] {
  return u.engine.devices.list();
}

/**
 * Links this vault (one with no account yet) to the account called `username` on `relay`;
 * `onCode` shows the confirmation code. Then joins the account's workspaces with an engine built
 * for the account it now holds.
 */
export async function linkDevice(
  u: Unlocked,
  relay: string,
  username: string,
  onCode: (code: string) => void,
  wait: PairingWait & { name?: string } = {},
  options: SyncEngineOptions = {},
): Promise<{ account: string; username: string; workspaces: number }> {
  const linked = await u.engine.pairing.link(relay, username, onCode, wait);
  return { ...linked, workspaces: await joinAsTheAccount(u, options) };
}

/** Joins the workspaces linking or recovery brought, with an engine built for the account the vault now holds (u.engine was built for the one before). */
async function joinAsTheAccount(u: Unlocked, options: SyncEngineOptions): Promise<number> {
  const engine = new SyncEngine(u.vault, options);
  try {
    return await engine.pairing.joinLinked();
  } finally {
    await engine.close();
  }
}

/** On a device of the account: answers a new device's request and returns the code to compare. */
export function answerDevice(u: Unlocked, pairing?: string, wait: PairingWait = {}): Promise<PendingDevice & { code: string }> {
  return u.engine.pairing.answer(pairing, wait);
}

/** On a device of the account: approves the new device whose code is `code`; a wrong code declines it and stores nothing. */
export function approveDevice(u: Unlocked, code: string, pairing?: string): Promise<{ device: string; name: string; relays: string[] }> {
  return u.engine.pairing.approve(code, pairing);
}

/** Revokes a device of this account on every relay (after the second factor, when one is enrolled). */
export function revokeDevice(u: Unlocked, nameOrId: string, proof?: SecondFactorProof): Promise<RevocationResult> {
  return u.engine.devices.revoke(nameOrId, proof);
}

/** Makes a new recovery key (revoking the older one), to be shown once (main/sync/recovery.ts). */
export function makeRecoveryKey(u: Unlocked, proof?: SecondFactorProof): Promise<{ key: string; relays: string[] }> {
  return u.engine.recovery.make(proof);
}

/**
 * On a fresh vault: becomes the account called `username` on `relay` with its recovery key, as a
 * new device, then joins its workspaces with an engine built for that account.
 */
export async function recoverAccount(
  u: Unlocked,
  relay: string,
  username: string,
  recoveryKey: string,
  name?: string,
  options: SyncEngineOptions = {},
): Promise<{ account: string; username: string; workspaces: number; relays: string[] }> {
  const recovered = await u.engine.recovery.recover(relay, username, recoveryKey, name);
  return { ...recovered, workspaces: await joinAsTheAccount(u, options) };
}
