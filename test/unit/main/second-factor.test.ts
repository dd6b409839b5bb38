// A second factor mixed into the key derivation (DESIGN.md S10): once a security key is enrolled,
// the vault opens only with the passphrase AND the key (or a one-time recovery code), and the key
// derived from the passphrase alone opens nothing in the vault file. PRF outputs here are random
// 32-byte values, as an authenticator returns them; test/e2e/second-factor.test.ts uses a real
// (virtual) authenticator in Chromium.
import { unlockDelayMs } from '../../../main/vault/unlock-delay.ts';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSodium, randomBytes, toBase64Url, tryOpen } from '../../../common/crypto/sodium.ts';
import { deriveKek, unwrapMasterKey, type KdfParams } from '../../../main/vault/keys.ts';
import { LATEST_SCHEMA_VERSION } from '../../../main/vault/migrations.ts';
import { SecondFactorRecords, type SecondFactorProof } from '../../../main/vault/second-factor.ts';
import { Vault, VAULT_FILE_NAME } from '../../../main/vault/vault.ts';
import { createTestVault, PASSPHRASE } from '../../support/vault.ts';
import { codeOf } from '../../support/refusal.ts';

await loadSodium();

function raw<T>(dir: string, fn: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(join(dir, VAULT_FILE_NAME));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Every blob the vault file holds that could wrap a key: the meta entries and the second factor's rows. */
function keyBlobs(dir: string): Array<{ where: string; bytes: Buffer }> {
  return raw(dir, (db) => [
    ...(db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: Buffer }>).map((r) => ({ where: `meta ${r.key}`, bytes: r.value })),
    ...(db.prepare('SELECT credential_id, wrapped FROM second_factor_credentials').all() as Array<{ credential_id: string; wrapped: Buffer }>).map((r) => ({
      where: `credential ${r.credential_id}`,
      bytes: r.wrapped,
    })),
    ...(db.prepare('SELECT id, wrapped FROM recovery_codes').all() as Array<{ id: string; wrapped: Buffer }>).map((r) => ({
      where: `recovery ${r.id}`,
      bytes: r.wrapped,
    })),
  ]);
}

/** What an attacker with the file and the passphrase (but not the key) derives: Argon2id of the passphrase with the stored parameters. */
function passphraseOnlyKek(dir: string, passphrase: string): { kek: Uint8Array; vaultId: string } {
  return raw(dir, (db) => {
    const meta = (key: string) => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: Buffer }).value;
    return { kek: deriveKek(passphrase, JSON.parse(meta('kdf').toString()) as KdfParams), vaultId: meta('vault_id').toString() };
  });
}

/** An enrolled (simulated) security key: its credential id and the PRF output it gives for this vault's salt. */
function securityKey(): { credentialId: string; prfOutput: Uint8Array; proof: SecondFactorProof } {
  const credentialId = toBase64Url(randomBytes(16));
  const prfOutput = randomBytes(32);
  return { credentialId, prfOutput, proof: { kind: 'key', credentialId, prfOutput } };
}

async function enrolledVault(): Promise<{ vault: Vault; dir: string; key: ReturnType<typeof securityKey>; codes: string[] }> {
  const vault = await createTestVault();
  const key = securityKey();
  const codes = vault.secondFactor.enrol(PASSPHRASE, { credentialId: key.credentialId, prfSalt: toBase64Url(randomBytes(32)), prfOutput: key.prfOutput });
  return { vault, dir: vault.dir, key, codes };
}

describe('a vault with a second factor', () => {
  it('opens only with the passphrase and the enrolled key; the passphrase alone, another key, or the key with a wrong passphrase are refused', async () => {
    const { vault, dir, key, codes } = await enrolledVault();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    const doc = vault.documents.create(vault.workspaces.list()[0]!.id, { title: 'Behind two factors' });
    vault.lock();

    expect(await codeOf(Vault.unlock(dir, PASSPHRASE))).toBe('SECOND_FACTOR_REQUIRED');
    expect(await codeOf(Vault.unlock(dir, PASSPHRASE, {}, securityKey().proof))).toBe('WRONG_SECOND_FACTOR');
    expect(await codeOf(Vault.unlock(dir, PASSPHRASE, {}, { ...key.proof, prfOutput: randomBytes(32) } as SecondFactorProof))).toBe('WRONG_SECOND_FACTOR');
    expect(await codeOf(Vault.unlock(dir, 'not the passphrase', {}, key.proof))).toBe('WRONG_PASSPHRASE');

    // Three misses in a row (a wrong factor counts like a wrong passphrase): the next attempt waits first (unlock-delay.ts).
    expect(await codeOf(Vault.unlock(dir, PASSPHRASE, {}, key.proof))).toBe('RATE_LIMITED');
    await new Promise((resolve) => setTimeout(resolve, unlockDelayMs(3)));
    const again = await Vault.unlock(dir, PASSPHRASE, {}, key.proof);
    expect(again.documents.summary(doc.id).title).toBe('Behind two factors');
    const actions = again.audit.list().map((e) => e.action);
    expect(actions).toContain('second_factor.enrolled');
    expect(actions).toContain('second_factor.used');
    // The three wrong attempts, written while locked, joined the sealed log.
    expect(actions.filter((a) => a === 'vault.unlock_failed')).toHaveLength(3);
    again.lock();
  });

  it('the key derived from the passphrase alone opens no blob in the vault file (before enrolment it opened the master key)', async () => {
    const vault = await createTestVault();
    const dir = vault.dir;
    const before = passphraseOnlyKek(dir, PASSPHRASE);
    const wrappedBefore = keyBlobs(dir).find((b) => b.where === 'meta master_key')!.bytes;
    expect(unwrapMasterKey(before.kek, wrappedBefore, before.vaultId)).toBeDefined();

    const key = securityKey();
    vault.secondFactor.enrol(PASSPHRASE, { credentialId: key.credentialId, prfSalt: toBase64Url(randomBytes(32)), prfOutput: key.prfOutput });
    vault.lock();
    const { kek, vaultId } = passphraseOnlyKek(dir, PASSPHRASE);
    const blobs = keyBlobs(dir);
    expect(blobs.map((b) => b.where)).toEqual(expect.arrayContaining(['meta master_key', 'meta second_factor_secret', `credential ${key.credentialId}`]));
    for (const blob of blobs) {
      expect(unwrapMasterKey(kek, blob.bytes, vaultId), blob.where).toBeUndefined();
      for (const ad of ['', `hearth/1|master-key|${vaultId}`]) expect(tryOpen(kek, blob.bytes, new TextEncoder().encode(ad)), blob.where).toBeUndefined();
    }
    // The old, passphrase-only wrapping is gone from the file and its WAL.
    const file = raw(dir, (db) => db.serialize());
    expect(Buffer.from(file).includes(wrappedBefore)).toBe(false);
  });

  it('a recovery code stands in for the key once, with the passphrase; then it is gone', async () => {
    const { vault, dir, codes } = await enrolledVault();
    vault.lock();
    const code = codes[3]!;
    // The code without the passphrase opens nothing, and is not used up by trying.
    expect(await codeOf(Vault.unlock(dir, 'not the passphrase', {}, { kind: 'recovery', code }))).toBe('WRONG_PASSPHRASE');
    expect(await codeOf(Vault.unlock(dir, PASSPHRASE, {}, { kind: 'recovery', code: 'AAAA-BBBB-CCCC-DDDD-EEEE' }))).toBe('WRONG_SECOND_FACTOR');

    // Typed loosely: lower case, spaces instead of dashes.
    const opened = await Vault.unlock(dir, PASSPHRASE, {}, { kind: 'recovery', code: code.toLowerCase().replace(/-/g, ' ') });
    expect(opened.secondFactor.info()?.recoveryCodesLeft).toBe(9);
    expect(
      opened.audit
        .list()
        .filter((e) => e.action === 'recovery_code.used')
        .map((e) => e.target),
    ).toEqual(['9 left']);
    opened.lock();
    expect(await codeOf(Vault.unlock(dir, PASSPHRASE, {}, { kind: 'recovery', code }))).toBe('WRONG_SECOND_FACTOR');
    const other = await Vault.unlock(dir, PASSPHRASE, {}, { kind: 'recovery', code: codes[0]! });
    expect(other.secondFactor.info()?.recoveryCodesLeft).toBe(8);
    other.lock();
  });

  it('a passphrase change keeps the key requirement: the new passphrase needs the key, the old one opens nothing', async () => {
    const { vault, dir, key } = await enrolledVault();
    await vault.changePassphrase(PASSPHRASE, 'a brand new passphrase');
    vault.lock();
    expect(await codeOf(Vault.unlock(dir, 'a brand new passphrase'))).toBe('SECOND_FACTOR_REQUIRED');
    expect(await codeOf(Vault.unlock(dir, PASSPHRASE, {}, key.proof))).toBe('WRONG_PASSPHRASE');
    const { kek, vaultId } = passphraseOnlyKek(dir, 'a brand new passphrase');
    for (const blob of keyBlobs(dir)) expect(unwrapMasterKey(kek, blob.bytes, vaultId), blob.where).toBeUndefined();
    (await Vault.unlock(dir, 'a brand new passphrase', {}, key.proof)).lock();
  });

  it('"stay unlocked" keeps the key requirement: the keychain secret opens the vault only with the key, and an older keychain copy not at all', async () => {
    const vault = await createTestVault();
    const dir = vault.dir;
    const masterKeyCopy = vault.deviceKey();
    const key = securityKey();
    vault.secondFactor.enrol(PASSPHRASE, { credentialId: key.credentialId, prfSalt: toBase64Url(randomBytes(32)), prfOutput: key.prfOutput });
    const deviceSecret = vault.deviceKey();
    vault.lock();

    expect(await codeOf(Vault.unlockWithDeviceKey(dir, deviceSecret))).toBe('SECOND_FACTOR_REQUIRED');
    expect(await codeOf(Vault.unlockWithDeviceKey(dir, deviceSecret, {}, securityKey().proof))).toBe('WRONG_SECOND_FACTOR');
    expect(await codeOf(Vault.unlockWithDeviceKey(dir, masterKeyCopy, {}, key.proof))).toBe('WRONG_PASSPHRASE');
    // The device secret alone is not a key to anything in the file.
    for (const blob of keyBlobs(dir)) expect(unwrapMasterKey(deviceSecret, blob.bytes, passphraseOnlyKek(dir, PASSPHRASE).vaultId), blob.where).toBeUndefined();
    (await Vault.unlockWithDeviceKey(dir, deviceSecret, {}, key.proof)).lock();
  });

  it('removing the factor asks for the passphrase and the key, then the passphrase alone opens the vault again', async () => {
    const { vault, dir, key, codes } = await enrolledVault();
    expect(await codeOf(() => vault.secondFactor.remove(PASSPHRASE, undefined))).toBe('SECOND_FACTOR_REQUIRED');
    expect(await codeOf(() => vault.secondFactor.remove(PASSPHRASE, securityKey().proof))).toBe('WRONG_SECOND_FACTOR');
    expect(await codeOf(() => vault.secondFactor.remove('not the passphrase', key.proof))).toBe('WRONG_PASSPHRASE');
    expect(vault.secondFactor.info()?.credentials).toHaveLength(1);
    vault.secondFactor.remove(PASSPHRASE, key.proof);
    expect(vault.secondFactor.info()).toBeUndefined();
    expect(vault.audit.list().map((e) => e.action)).toContain('second_factor.removed');
    vault.lock();
    expect(
      raw(dir, (db) => [db.prepare('SELECT count(*) AS n FROM recovery_codes').get(), db.prepare('SELECT count(*) AS n FROM second_factor_credentials').get()]),
    ).toEqual([{ n: 0 }, { n: 0 }]);
    expect(keyBlobs(dir).map((b) => b.where)).not.toContain('meta second_factor_secret');
    const opened = await Vault.unlock(dir, PASSPHRASE);
    opened.lock();
    expect(await codeOf(Vault.unlock(dir, PASSPHRASE, {}, { kind: 'recovery', code: codes[0]! }))).toBeUndefined();
  });

  it('a sensitive step checks the factor: a wrong key changes nothing, a recovery code is used up, new codes replace the old ones', async () => {
    const { vault, key, codes } = await enrolledVault();
    expect(await codeOf(() => vault.secondFactor.check(undefined, 'delete the account'))).toBe('SECOND_FACTOR_REQUIRED');
    expect(await codeOf(() => vault.secondFactor.check(securityKey().proof, 'delete the account'))).toBe('WRONG_SECOND_FACTOR');
    vault.secondFactor.check(key.proof, 'delete the account');
    vault.secondFactor.check({ kind: 'recovery', code: codes[1]! }, 'delete the account');
    expect(await codeOf(() => vault.secondFactor.check({ kind: 'recovery', code: codes[1]! }, 'delete the account'))).toBe('WRONG_SECOND_FACTOR');
    expect(vault.secondFactor.info()?.recoveryCodesLeft).toBe(9);
    const fresh = vault.secondFactor.replaceRecoveryCodes(PASSPHRASE, key.proof);
    expect(fresh.some((c) => codes.includes(c))).toBe(false);
    expect(await codeOf(() => vault.secondFactor.check({ kind: 'recovery', code: codes[2]! }, 'x'))).toBe('WRONG_SECOND_FACTOR');
    vault.secondFactor.check({ kind: 'recovery', code: fresh[0]! }, 'x');
    const targets = vault.audit
      .list()
      .filter((e) => e.action === 'second_factor.used' || e.action === 'recovery_code.used' || e.action === 'recovery_codes.replaced');
    expect(targets.map((e) => [e.action, e.target])).toEqual([
      ['second_factor.used', 'delete the account'],
      ['recovery_code.used', 'delete the account; 9 left'],
      ['second_factor.used', 'make new recovery codes'],
      ['recovery_codes.replaced', undefined],
      ['recovery_code.used', 'x; 9 left'],
    ]);
    vault.lock();
  });

  it('wiping shreds every wrapping of the second factor too', async () => {
    const { vault, dir, key, codes } = await enrolledVault();
    const before = keyBlobs(dir).filter((b) => b.where.startsWith('credential') || b.where.startsWith('recovery') || b.where === 'meta second_factor_secret');
    const opens = (proof: SecondFactorProof) => raw(dir, (db) => new SecondFactorRecords(db, vault.vaultId).openSecret(proof) !== undefined);
    expect([opens(key.proof), opens({ kind: 'recovery', code: codes[0]! })]).toEqual([true, true]);
    vault.shredKeys();
    const after = keyBlobs(dir);
    for (const blob of before) {
      const now = after.find((b) => b.where === blob.where)!;
      expect(now.bytes.equals(blob.bytes), blob.where).toBe(false);
    }
    expect([opens(key.proof), opens({ kind: 'recovery', code: codes[0]! })]).toEqual([false, false]);
    expect(await codeOf(Vault.unlock(dir, PASSPHRASE, {}, key.proof))).toBe('VAULT_CORRUPT');
  });

  it('a vault made before second factors existed (schema 6) unlocks, migrates and enrols', async () => {
    const vault = await createTestVault();
    const dir = vault.dir;
    vault.lock();
    raw(dir, (db) => {
      // As schema 6 was: without the second factor's tables and without later migrations' columns (9: documents.generation).
      db.exec('DROP TABLE second_factor_credentials; DROP TABLE recovery_codes; ALTER TABLE documents DROP COLUMN generation;');
      db.pragma('user_version = 6');
    });
    expect(Vault.secondFactorOf(dir)).toBeUndefined();
    const old = await Vault.unlock(dir, PASSPHRASE);
    expect(raw(dir, (db) => db.pragma('user_version', { simple: true }))).toBe(LATEST_SCHEMA_VERSION);
    const key = securityKey();
    const salt = toBase64Url(randomBytes(32));
    old.secondFactor.enrol(PASSPHRASE, { credentialId: key.credentialId, prfSalt: salt, prfOutput: key.prfOutput });
    old.lock();
    expect(Vault.secondFactorOf(dir)).toMatchObject({ prfSalt: salt, credentials: [{ id: key.credentialId }], recoveryCodesLeft: 10 });
    expect(await codeOf(Vault.unlock(dir, PASSPHRASE))).toBe('SECOND_FACTOR_REQUIRED');
  });

  it('a second key can be enrolled with the same salt and opens the vault on its own', async () => {
    const { vault, dir } = await enrolledVault();
    const info = vault.secondFactor.info()!;
    const spare = securityKey();
    expect(
      await codeOf(() =>
        vault.secondFactor.enrol(PASSPHRASE, { credentialId: spare.credentialId, prfSalt: toBase64Url(randomBytes(32)), prfOutput: spare.prfOutput }),
      ),
    ).toBe('BAD_REQUEST');
    expect(vault.secondFactor.enrol(PASSPHRASE, { credentialId: spare.credentialId, prfSalt: info.prfSalt, prfOutput: spare.prfOutput })).toEqual([]);
    vault.lock();
    (await Vault.unlock(dir, PASSPHRASE, {}, spare.proof)).lock();
  });
});
