/** Audit targets in words: every target shape the vault and the engine record, named, never as a bare id. */
import { describe, expect, test } from 'vitest';
import { describeAuditTarget } from '../../../common/audit-target.ts';

const names = {
  workspace: (id: string) => ({ W1: 'Bakery' })[id],
  document: (id: string) => ({ D1: 'Recipe', D2: '' })[id],
};
const about = (action: string, target?: string) => describeAuditTarget(action, target, names);

describe('describeAuditTarget', () => {
  test('workspaces and documents by name; gone ones say so instead of showing an id', () => {
    expect(about('workspace.created', 'W1')).toBe('Bakery');
    expect(about('workspace.deleted', 'W9')).toBe('a workspace no longer on this device');
    expect(about('workspace.device_sync_on', 'W1')).toBe('Bakery');
    expect(about('workspace.device_sync_off', 'W1')).toBe('Bakery');
    expect(about('document.shared', 'D1')).toBe('“Recipe”');
    expect(about('document.shared', 'D2')).toBe('“Untitled”');
    expect(about('document.deleted', 'D9')).toBe('a document no longer on this device');
    expect(about('export', 'W1')).toBe('Bakery');
    expect(about('export', 'all')).toBe('every workspace');
  });

  test('members by @username, with the workspace and the new role', () => {
    expect(about('member.invited', 'W1/bob')).toBe('@bob in Bakery');
    expect(about('member.removed', 'W1/bob')).toBe('@bob in Bakery');
    expect(about('member.removed', 'W1/deleted-account')).toBe('a deleted account in Bakery');
    expect(about('member.role_changed', 'W1/bob:owner')).toBe('@bob in Bakery, now Owner');
    expect(about('document.unshared', 'D1/bob')).toBe('“Recipe”, no longer shared with @bob');
    expect(about('link.revoked', 'W1/D1/L1')).toBe('a public link to “Recipe” in Bakery');
  });

  test('devices by the name they were given', () => {
    expect(about('device.added', 'this device (desk)')).toBe('this device (desk)');
    expect(about('device.approved', 'Laptop')).toBe('the device “Laptop”');
    expect(about('device.revoked', 'Laptop')).toBe('the device “Laptop”');
    expect(about('device.declined', 'Laptop')).toBe('a request to join from “Laptop”');
  });

  test('free text stays as it is; no target, no words', () => {
    expect(about('settings.changed', 'auto-lock after 5 minutes')).toBe('auto-lock after 5 minutes');
    expect(about('account.deleted', 'ws://127.0.0.1:8787')).toBe('ws://127.0.0.1:8787');
    expect(about('comment.deleted', 'C1')).toBe('a comment');
    expect(about('vault.locked')).toBeUndefined();
  });
});
