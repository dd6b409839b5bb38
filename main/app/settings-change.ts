/** A settings change in words for the audit log: what each setting became. */
import type { Settings } from '../../common/api/contract.ts';

/**
 * "auto-lock after 5 minutes; theme dark", or undefined when nothing the audit cares about moved.
 * The comments panel is a layout choice, not a security one: audited, it would bury the events
 * the log is for.
 */
export function describeSettingsChange(before: Settings, after: Settings): string | undefined {
  const changes: string[] = [];
  if (after.autoLockMinutes !== before.autoLockMinutes) {
    const minutes = after.autoLockMinutes;
    changes.push(minutes === 0 ? 'auto-lock off' : `auto-lock after ${minutes} minute${minutes === 1 ? '' : 's'}`);
  }
  if (after.theme !== before.theme) changes.push(`theme ${after.theme}`);
  if ((after.stayUnlocked ?? false) !== (before.stayUnlocked ?? false))
    changes.push(after.stayUnlocked ? 'stay unlocked on this device' : 'ask for the passphrase on this device');
  return changes.length > 0 ? changes.join('; ') : undefined;
}
