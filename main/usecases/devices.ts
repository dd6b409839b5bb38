/**
 * This account's devices, for both doors: listing them, linking this vault as a new device of an
 * account (then joining the account's workspaces with a sync engine opened for it), answering and
 * approving a new device from a device of the account, and revoking one (main/sync/pairing.ts,
 * main/sync/device-changes.ts).
 */
import type { DeviceInfo } from '../../common/api/records.ts';
import { HearthError } from '../../common/errors.ts';
import type { SecondFactorProof } from '../vault/second-factor.ts';
import type { DeviceListing, RevocationResult } from '../sync/device-changes.ts';
import { SyncEngine, type SyncEngineOptions } from '../sync/engine.ts';
import type { PairingWait, PendingDevice } from '../sync/pairing.ts';
import { accessReports } from './account.ts';
import type { Unlocked } from './unlocked.ts';

export function listDevices(u: Unlocked): DeviceListing[] {
  return u.engine.devices.list();
}

/**
 * The account's devices (as listDevices) with when each relay the account is on last saw each
 * one sign in; a relay that does not answer is named in `unanswered` instead.
 */
export async function devicesLastSeen(u: Unlocked): Promise<{ devices: DeviceInfo[]; unanswered: Array<{ relay: string; problem: string }> }> {
  const answers = (await accessReports(u)).filter((a) => a.account);
  const devices = listDevices(u).map((device) => ({
    ...device,
    lastSeen: answers.filter((a) => a.report).map((a) => ({ relay: a.relay, at: a.report!.devices?.find((d) => d.device === device.id)?.lastSeenAt ?? null })),
  }));
  const unanswered = answers.filter((a) => !a.report).map((a) => ({ relay: a.relay, problem: a.problem?.message ?? 'It did not answer.' }));
  return { devices, unanswered };
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
export async function answerDevice(u: Unlocked, pairing?: string, wait: PairingWait = {}): Promise<PendingDevice & { code: string }> {
  if (!u.vault.syncState.relays().some((r) => r.account))
    throw new HearthError(
      'NOT_FOUND',
      'Your account is on no relay yet, so no device can ask to join it there. Join a relay (or create a team workspace) first.',
    );
  return u.engine.pairing.answer(pairing, wait);
}

/** On a device of the account: approves the new device whose code is `code`; a wrong code declines it and stores nothing. */
export function approveDevice(u: Unlocked, code: string, pairing?: string): Promise<{ device: string; name: string; relays: string[] }> {
  return u.engine.pairing.approve(code, pairing);
}

/** On a device of the account: declines the new device of `pairing`; nothing is stored. */
export function declineDevice(u: Unlocked, pairing: string): Promise<void> {
  return u.engine.pairing.decline(pairing);
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
