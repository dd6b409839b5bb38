/** "Sync between my devices" for a personal workspace: what would leave, on, off (the page and the CLI both come here). */
import { HearthError } from '../../common/errors.ts';
import type { DeviceSyncPlan, DeviceSyncStop } from '../sync/device-sync.ts';
import type { Workspace } from '../vault/workspaces.ts';
import type { Unlocked } from './unlocked.ts';

/** The only relay this account is registered on, if it is on exactly one. */
function onlyRelay(u: Unlocked): string | undefined {
  const registered = u.engine.relays().filter((r) => r.account);
  return registered.length === 1 ? registered[0]!.url : undefined;
}

/** The relay to sync through: the one given, else the only relay this account is registered on (else BAD_REQUEST asking for one). */
export function deviceSyncRelay(u: Unlocked, relay?: string): string {
  const chosen = relay ?? onlyRelay(u);
  if (chosen) return chosen;
  const registered = u.engine.relays().filter((r) => r.account);
  throw new HearthError(
    'BAD_REQUEST',
    registered.length === 0
      ? 'You are on no relay yet: name the relay your other devices use (--relay URL, e.g. wss://relay.example.org).'
      : `You are on ${registered.length} relays (${registered.map((r) => r.url).join(', ')}): name the one to sync through with --relay URL.`,
  );
}

/** What turning it on would send, for the person to read before confirming. */
export function describeDeviceSync(u: Unlocked, workspaceId: string, relay?: string): DeviceSyncPlan {
  return u.engine.deviceSync.describe(workspaceId, relay ?? onlyRelay(u) ?? '');
}

/** Turns it on after the person's yes (`confirmed`); without it, BAD_REQUEST naming what would leave, and nothing is sent. */
export function turnDeviceSyncOn(u: Unlocked, workspaceId: string, relay: string | undefined, confirmed: boolean): Promise<Workspace> {
  return u.engine.deviceSync.turnOn(workspaceId, deviceSyncRelay(u, relay), confirmed);
}

/** Turns it off on this device; with `deleteFromRelay` the relay's copy goes too (the other devices keep theirs). */
export function turnDeviceSyncOff(u: Unlocked, workspaceId: string, deleteFromRelay: boolean): Promise<DeviceSyncStop> {
  return u.engine.deviceSync.turnOff(workspaceId, { deleteFromRelay });
}
