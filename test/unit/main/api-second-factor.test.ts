/**
 * The second factor through the API door, as a page sees it: enrolment returns the recovery codes
 * once; unlock then says SECOND_FACTOR_REQUIRED with the passphrase alone and names the key to ask
 * for; "stay unlocked" keeps the key requirement (the next start does not open by itself, the key
 * alone does, the keychain's secret without the key does not); deleting the account asks for the
 * factor; removing it asks for the key. The keychain is an in-memory stand-in for Electron's
 * safeStorage, which cannot run here. The PRF output is what an authenticator would return.
 */
import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { connectInProcess } from '../../../main/api/connection.ts';
import type { UnlockKeeper } from '../../../main/app/session.ts';
import { expectOk, testSession } from '../../integration/transport-fixture.ts';

const PASSPHRASE = 'a long enough passphrase';
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

class MemoryKeeper implements UnlockKeeper {
  secret: string | undefined;
  available = true;
  store(secret: string) {
    this.secret = secret;
  }
  retrieve() {
    return this.secret;
  }
  clear() {
    this.secret = undefined;
  }
}

function errorOf(result: { ok: boolean; error?: { code: string; message: string } }): { code: string; message: string } | undefined {
  return result.ok ? undefined : result.error;
}

test('enrol, lock, unlock needs both; stay unlocked keeps the key requirement; account deletion and removal ask for the factor', async () => {
  const keeper = new MemoryKeeper();
  const session = testSession({ unlockKeeper: keeper });
  const page = connectInProcess(session);
  expectOk(await page.createVault({ passphrase: PASSPHRASE, username: 'ada', displayName: 'Ada' }));
  expectOk(await page.updateSettings({ stayUnlocked: true }));
  const masterKeyCopy = keeper.secret;
  expect(expectOk(await page.secondFactor())).toBeNull();

  const enrolment = expectOk(await page.secondFactorEnrolment());
  expect(enrolment.user.name).toBe('ada');
  const credentialId = b64(randomBytes(16));
  const prfOutput = b64(randomBytes(32));
  const key = { kind: 'key' as const, credentialId, prfOutput };
  expect(errorOf(await page.enrolSecondFactor({ passphrase: 'wrong passphrase', credentialId, prfSalt: enrolment.prfSalt, prfOutput }))?.code).toBe(
    'WRONG_PASSPHRASE',
  );
  const { recoveryCodes } = expectOk(await page.enrolSecondFactor({ passphrase: PASSPHRASE, credentialId, prfSalt: enrolment.prfSalt, prfOutput }));
  expect(recoveryCodes).toHaveLength(10);
  expect(expectOk(await page.secondFactor())).toMatchObject({ credentials: [{ id: credentialId }], recoveryCodesLeft: 10, prfSalt: enrolment.prfSalt });
  // The keychain now holds a device secret, not the master key.
  expect(keeper.secret).not.toBe(masterKeyCopy);

  expectOk(await page.lock());
  expect(expectOk(await page.unlockMethod())).toEqual({ securityKey: { prfSalt: enrolment.prfSalt, credentialIds: [credentialId] }, keyOnly: true });
  const alone = errorOf(await page.unlock(PASSPHRASE));
  expect(alone?.code).toBe('SECOND_FACTOR_REQUIRED');
  expect(alone?.message).toContain('security key');
  expect(errorOf(await page.unlock(PASSPHRASE, { kind: 'key', credentialId, prfOutput: b64(randomBytes(32)) }))?.code).toBe('WRONG_SECOND_FACTOR');
  expectOk(await page.unlock(PASSPHRASE, key));

  // A page that connects while unlocked must show both factors too.
  const second = connectInProcess(session);
  expect(errorOf(await second.unlock(PASSPHRASE))?.code).toBe('SECOND_FACTOR_REQUIRED');
  expectOk(await second.unlock(PASSPHRASE, key));
  second.close();

  // Stay unlocked: the next start does not open by itself; the key alone (with this device's secret) does.
  await session.close();
  const next = testSession({ vaultDir: session.vaultDir, unlockKeeper: keeper });
  expect(await next.resume()).toBe(false);
  expect(next.state).toBe('locked');
  expect(keeper.secret).toBeDefined();
  const nextPage = connectInProcess(next);
  expect(errorOf(await nextPage.unlockWithSecurityKey({ kind: 'key', credentialId, prfOutput: b64(randomBytes(32)) }))?.code).toBe('WRONG_SECOND_FACTOR');
  expect(expectOk(await nextPage.unlockWithSecurityKey(key)).username).toBe('ada');

  expect(errorOf(await nextPage.deleteAccount('ada'))?.code).toBe('SECOND_FACTOR_REQUIRED');
  expect(errorOf(await nextPage.deleteAccount('ada', { secondFactor: { kind: 'recovery', code: 'AAAA-BBBB-CCCC-DDDD-EEEE' } }))?.code).toBe(
    'WRONG_SECOND_FACTOR',
  );
  expect(next.state).toBe('unlocked');

  expect(errorOf(await nextPage.removeSecondFactor(PASSPHRASE, { kind: 'key', credentialId, prfOutput: b64(randomBytes(32)) }))?.code).toBe(
    'WRONG_SECOND_FACTOR',
  );
  expectOk(await nextPage.removeSecondFactor(PASSPHRASE, key));
  expect(expectOk(await nextPage.secondFactor())).toBeNull();
  const actions = expectOk(await nextPage.auditLog()).map((e) => e.action);
  expect(actions).toEqual(expect.arrayContaining(['second_factor.enrolled', 'second_factor.used', 'second_factor.removed', 'vault.unlock_failed']));
  await next.close();

  // Without the factor, stay unlocked opens by itself again (the keychain got the master key back).
  const last = testSession({ vaultDir: session.vaultDir, unlockKeeper: keeper });
  expect(await last.resume()).toBe(true);
  await last.close();
});

test('a recovery code unlocks once through the API, and the codes left are counted down', async () => {
  const session = testSession();
  const page = connectInProcess(session);
  expectOk(await page.createVault({ passphrase: PASSPHRASE, username: 'bo', displayName: 'Bo' }));
  const enrolment = expectOk(await page.secondFactorEnrolment());
  const { recoveryCodes } = expectOk(
    await page.enrolSecondFactor({ passphrase: PASSPHRASE, credentialId: 'cred1', prfSalt: enrolment.prfSalt, prfOutput: b64(randomBytes(32)) }),
  );
  expectOk(await page.lock());
  expect(expectOk(await page.unlockMethod()).keyOnly).toBe(false);
  expectOk(await page.unlock(PASSPHRASE, { kind: 'recovery', code: recoveryCodes[0]! }));
  expect(expectOk(await page.secondFactor())?.recoveryCodesLeft).toBe(9);
  expectOk(await page.lock());
  expect(errorOf(await page.unlock(PASSPHRASE, { kind: 'recovery', code: recoveryCodes[0]! }))?.code).toBe('WRONG_SECOND_FACTOR');
  await session.close();
});
