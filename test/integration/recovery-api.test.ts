// The recovery key through the page's API (main/app/recovery.ts) over a real Session and relay: no
// key is offered before the account is on a relay; once it is, one is made and shown once; on a new
// computer's first run, a mistyped key makes no vault, a well-formed wrong key shreds the vault it
// made (the device is back at its first run), and the right one brings the account back, unlocked.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { newRecoveryKey } from '../../common/devices/recovery-key.ts';
import type { Result } from '../../common/errors.ts';
import { connectInProcess } from '../../main/api/connection.ts';
import { Session } from '../../main/app/session.ts';
import { MIN_KDF_COST } from '../../main/vault/keys.ts';
import { Vault } from '../../main/vault/vault.ts';
import { tempDir } from '../support/vault.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

let relay: TestRelay;
const sessions: Session[] = [];

function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

function refusal<T>(result: Result<T>): { code: string; message: string } {
  if (result.ok) throw new Error('expected a refusal');
  return result.error;
}

function startApp() {
  const vaultDir = join(tempDir('hearth-recovery-api-'), 'vault');
  const session = new Session({ vaultDir, kdfCost: MIN_KDF_COST, dataDir: join(vaultDir, '..', 'Hearth'), sync: { backoff: { initialMs: 50, maxMs: 200 } } });
  sessions.push(session);
  return { session, vaultDir, api: connectInProcess(session) };
}

beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  for (const session of sessions) await session.close();
  await relay?.stop();
});

test('a key is made once the account is on a relay; on a first run a typo or a wrong key leaves no vault, and the right key brings the account back', async () => {
  const ada = startApp();
  const username = `ada-${process.pid}`;
  ok(await ada.api.createVault({ passphrase: 'ada passphrase', username, displayName: 'Ada' }));
  expect(ok(await ada.api.recoveryKeyState())).toEqual({ registered: false, active: false });
  expect(refusal(await ada.api.makeRecoveryKey()).message).toContain('on no relay yet');
  const team = ok(await ada.api.createTeamWorkspace('Team', relay.url));
  expect(ok(await ada.api.recoveryKeyState())).toMatchObject({ registered: true, active: false });
  const { key } = ok(await ada.api.makeRecoveryKey());
  expect(ok(await ada.api.recoveryKeyState())).toMatchObject({ registered: true, active: true, madeAt: expect.any(Number) });
  const actions = ok(await ada.api.auditLog()).map((e) => e.action);
  expect(actions).toContain('recovery_key.made');
  // Every device of Ada is lost.
  await ada.session.close();

  const fresh = startApp();
  const typed = { relay: relay.url, username, passphrase: 'new computer passphrase' };
  const typo = refusal(await fresh.api.recoverAccount({ ...typed, recoveryKey: key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A') }));
  expect(typo.code).toBe('BAD_RECOVERY_KEY');
  expect(Vault.exists(fresh.vaultDir)).toBe(false);
  const wrong = refusal(await fresh.api.recoverAccount({ ...typed, recoveryKey: newRecoveryKey() }));
  expect(wrong.code).toBe('WRONG_RECOVERY_KEY');
  expect(Vault.exists(fresh.vaultDir)).toBe(false);
  expect(ok(await fresh.api.status()).state).toBe('no-vault');

  const recovered = ok(await fresh.api.recoverAccount({ ...typed, recoveryKey: key }));
  expect(recovered).toMatchObject({ profile: { username }, workspaces: 1, relays: [relay.url] });
  expect(ok(await fresh.api.status()).state).toBe('unlocked');
  expect(ok(await fresh.api.listWorkspaces()).map((w) => w.id)).toContain(team.id);
  // The engine is the account's: the workspace syncs from here.
  expect(ok(await fresh.api.recoveryKeyState())).toMatchObject({ registered: true, active: true });
  const already = refusal(await fresh.api.recoverAccount({ ...typed, recoveryKey: key }));
  expect(already.code).toBe('VAULT_EXISTS');
});
