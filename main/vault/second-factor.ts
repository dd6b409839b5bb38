/**
 * The second factor's key material. Once a security key is enrolled, the master key is wrapped
 * under a KEK that mixes the passphrase's Argon2id key with a random 32-byte second-factor secret
 * S, and S itself exists in the file only sealed:
 *   - under a key from each enrolled credential's WebAuthn PRF output (the security key), and
 *   - under an Argon2id key from each unused one-time recovery code,
 *   - and under the master key's records subkey, so an unlocked vault can change its passphrase
 *     or make new recovery codes without touching the key again.
 * So the passphrase alone opens nothing, a stolen file cannot even test passphrase guesses
 * without S, and a recovery code stands in for the security key, never for the passphrase.
 * "Stay unlocked" keeps a random device secret D in the keychain and the master key wrapped under
 * a key from D and S: the keychain alone opens nothing either.
 */
import type { Database } from 'better-sqlite3';
import { randomBytes, seal, sodium, tryOpen, utf8, wipeBytes } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';
import type { AuditLog } from './audit.ts';
import { deriveKek, MIN_KDF_COST, newKdfParams, unwrapMasterKey, wrapMasterKey, wrappedKeyChecksum, type KdfParams } from './keys.ts';

/** How many recovery codes an enrolment writes; each opens the vault once, with the passphrase. */
export const RECOVERY_CODE_COUNT = 10;
/** The WebAuthn PRF output and the salt it is evaluated with are 32 bytes. */
export const PRF_BYTES = 32;

/** What proves the second factor: a security key's PRF output, or one unused recovery code. */
export type SecondFactorProof = { kind: 'key'; credentialId: string; prfOutput: Uint8Array } | { kind: 'recovery'; code: string };

/** What a locked vault tells about its second factor (stored in clear: the page needs it before unlock). */
export interface SecondFactorInfo {
  /** base64url; the salt the PRF is evaluated with, the same for every credential of this vault. */
  prfSalt: string;
  enrolledAt: number;
  credentials: Array<{ id: string; createdAt: number }>;
  recoveryCodesLeft: number;
}

const SECRET_BYTES = 32;
// Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_ID_CHARS = 4;
/** 16 characters of 5 bits: 80 random bits per code, behind Argon2id. */
const CODE_SECRET_CHARS = 16;
// Recovery codes are random (80 bits), not chosen by a person: libsodium's interactive cost is
// plenty and keeps enrolment (ten derivations) to about two seconds.
const RECOVERY_KDF_COST = MIN_KDF_COST;

function keyedHash(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const state = sodium().crypto_generichash_init(key, 32);
  for (const part of parts) sodium().crypto_generichash_update(state, part);
  return sodium().crypto_generichash_final(state, 32);
}

/** The KEK of a vault with a second factor: the passphrase's Argon2id key mixed with S. */
export function combinedKek(passphraseKek: Uint8Array, secret: Uint8Array): Uint8Array {
  return keyedHash(passphraseKek, utf8('hearth/1|kek|passphrase+second-factor'), secret);
}

/** The key that wraps the master key for "stay unlocked" once a second factor is enrolled. */
export function deviceKek(deviceSecret: Uint8Array, secret: Uint8Array): Uint8Array {
  return keyedHash(deviceSecret, utf8('hearth/1|kek|device+second-factor'), secret);
}

function prfKey(prfOutput: Uint8Array): Uint8Array {
  return keyedHash(prfOutput, utf8('hearth/1|kek|webauthn-prf'));
}

function secretAd(vaultId: string, via: 'key' | 'recovery' | 'records', id: string): Uint8Array {
  return utf8(`hearth/1|second-factor-secret|${vaultId}|${via}|${id}`);
}

function codeText(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => CODE_ALPHABET[b & 31]).join('');
}

/** A new recovery code: a public id (which row it opens) and its secret, shown as `IDID-XXXX-XXXX-XXXX-XXXX`. */
function newRecoveryCode(): { id: string; secret: string; text: string } {
  const id = codeText(randomBytes(CODE_ID_CHARS));
  const secret = codeText(randomBytes(CODE_SECRET_CHARS));
  return { id, secret, text: [id, ...secret.match(/.{4}/g)!].join('-') };
}

/** Reads a recovery code as typed: any case, spaces or dashes, and the letters people confuse with digits. */
export function parseRecoveryCode(text: string): { id: string; secret: string } | undefined {
  const clean = text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (clean.length !== CODE_ID_CHARS + CODE_SECRET_CHARS || [...clean].some((c) => !CODE_ALPHABET.includes(c))) return undefined;
  return { id: clean.slice(0, CODE_ID_CHARS), secret: clean.slice(CODE_ID_CHARS) };
}

function recoveryKek(secret: string, kdf: KdfParams): Uint8Array {
  return deriveKek(secret, kdf);
}

/** The vault file's second-factor rows and meta entries; all reads work on a locked vault. */
export class SecondFactorRecords {
  constructor(
    private readonly db: Database,
    private readonly vaultId: string,
  ) {}

  info(): SecondFactorInfo | undefined {
    const meta = this.db.prepare("SELECT value FROM meta WHERE key = 'second_factor'").get() as { value: Buffer } | undefined;
    if (!meta) return undefined;
    const { prfSalt, enrolledAt } = JSON.parse(meta.value.toString('utf8')) as { prfSalt: string; enrolledAt: number };
    const credentials = this.db
      .prepare('SELECT credential_id AS id, created_at AS createdAt FROM second_factor_credentials ORDER BY created_at')
      .all() as Array<{
      id: string;
      createdAt: number;
    }>;
    const { n } = this.db.prepare('SELECT count(*) AS n FROM recovery_codes').get() as { n: number };
    return { prfSalt, enrolledAt, credentials, recoveryCodesLeft: n };
  }

  /**
   * S from a proof, or undefined when the proof does not open it (an unknown credential, a PRF
   * output from another key, a used or mistyped recovery code). `codeId` names the recovery code
   * that opened it, for consume().
   */
  openSecret(proof: SecondFactorProof): { secret: Uint8Array; codeId?: string } | undefined {
    if (proof.kind === 'key') {
      const row = this.db.prepare('SELECT wrapped FROM second_factor_credentials WHERE credential_id = ?').get(proof.credentialId) as
        { wrapped: Buffer } | undefined;
      if (!row || proof.prfOutput.length !== PRF_BYTES) return undefined;
      const key = prfKey(proof.prfOutput);
      const secret = tryOpen(key, row.wrapped, secretAd(this.vaultId, 'key', proof.credentialId));
      wipeBytes(key);
      return secret && { secret };
    }
    const code = parseRecoveryCode(proof.code);
    const row = code && (this.db.prepare('SELECT kdf, wrapped FROM recovery_codes WHERE id = ?').get(code.id) as { kdf: string; wrapped: Buffer } | undefined);
    if (!code || !row) return undefined;
    const key = recoveryKek(code.secret, JSON.parse(row.kdf) as KdfParams);
    const secret = tryOpen(key, row.wrapped, secretAd(this.vaultId, 'recovery', code.id));
    wipeBytes(key);
    return secret && { secret, codeId: code.id };
  }

  /** S as the unlocked vault keeps it, sealed under the records subkey. */
  secretFromRecords(recordsKey: Uint8Array): Uint8Array {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'second_factor_secret'").get() as { value: Buffer } | undefined;
    const secret = row && tryOpen(recordsKey, row.value, secretAd(this.vaultId, 'records', 'self'));
    if (!secret) throw new HearthError('VAULT_CORRUPT', 'The second-factor record of this vault is damaged. Restore the vault from a backup.');
    return secret;
  }

  /** Destroys the recovery code that was just used: it never opens anything again. */
  consume(codeId: string): number {
    this.db.prepare('DELETE FROM recovery_codes WHERE id = ?').run(codeId);
    return (this.db.prepare('SELECT count(*) AS n FROM recovery_codes').get() as { n: number }).n;
  }

  /** A new random S, for a first enrolment. */
  static newSecret(): Uint8Array {
    return randomBytes(SECRET_BYTES);
  }

  /**
   * Writes the enrolment (inside the caller's transaction): the PRF salt, S sealed under the
   * records subkey and under the credential's PRF output. The master key's own wrapping is the
   * caller's (it knows the passphrase's KEK).
   */
  writeEnrolment(input: { secret: Uint8Array; recordsKey: Uint8Array; prfSalt: string; credentialId: string; prfOutput: Uint8Array }): void {
    const existing = this.info();
    const now = Date.now();
    if (!existing) {
      writeMeta(this.db, 'second_factor', JSON.stringify({ prfSalt: input.prfSalt, enrolledAt: now }));
      writeMeta(this.db, 'second_factor_secret', seal(input.recordsKey, input.secret, secretAd(this.vaultId, 'records', 'self')));
    }
    const key = prfKey(input.prfOutput);
    const wrapped = seal(key, input.secret, secretAd(this.vaultId, 'key', input.credentialId));
    wipeBytes(key);
    this.db.prepare('INSERT INTO second_factor_credentials (credential_id, wrapped, created_at) VALUES (?, ?, ?)').run(input.credentialId, wrapped, now);
  }

  /** Replaces every recovery code with RECOVERY_CODE_COUNT new ones, each opening S; returns them as shown to the user. */
  replaceRecoveryCodes(secret: Uint8Array): string[] {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode());
    const rows = codes.map((code) => {
      const kdf = newKdfParams(RECOVERY_KDF_COST);
      const key = recoveryKek(code.secret, kdf);
      const wrapped = seal(key, secret, secretAd(this.vaultId, 'recovery', code.id));
      wipeBytes(key);
      return { id: code.id, kdf: JSON.stringify(kdf), wrapped };
    });
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM recovery_codes').run();
      const insert = this.db.prepare('INSERT INTO recovery_codes (id, kdf, wrapped) VALUES (?, ?, ?)');
      for (const row of rows) insert.run(row.id, row.kdf, row.wrapped);
    })();
    return codes.map((code) => code.text);
  }

  /** Forgets the second factor entirely (inside the caller's transaction); the caller rewraps the master key. */
  remove(): void {
    this.db.prepare('DELETE FROM second_factor_credentials').run();
    this.db.prepare('DELETE FROM recovery_codes').run();
    this.db.prepare("DELETE FROM meta WHERE key IN ('second_factor', 'second_factor_secret', 'device_key')").run();
  }

  /** Overwrites every wrapping of S in place (wipe's crypto-shredding); secure_delete zeroes the old pages. */
  shred(): void {
    this.db.prepare('UPDATE second_factor_credentials SET wrapped = randomblob(length(wrapped))').run();
    this.db.prepare('UPDATE recovery_codes SET wrapped = randomblob(length(wrapped))').run();
    this.db.prepare("UPDATE meta SET value = randomblob(length(value)) WHERE key IN ('second_factor_secret', 'device_key')").run();
  }
}

/** What the unlocked vault lends its second factor: its file, keys and audit log. */
export interface UnlockedVaultKeys {
  db: Database;
  vaultId: string;
  /** The vault's live master and records keys (wiped in place when it locks). */
  masterKey: Uint8Array;
  recordsKey: Uint8Array;
  kdf: () => KdfParams;
  audit: AuditLog;
  assertUnlocked: () => void;
}

/** The unlocked vault's second factor: enrol a security key, check one, remove it, replace recovery codes. */
export class SecondFactor {
  private readonly records: SecondFactorRecords;

  constructor(private readonly vault: UnlockedVaultKeys) {
    this.records = new SecondFactorRecords(vault.db, vault.vaultId);
  }

  /** The second factor, if one is enrolled: its credentials and how many recovery codes are left. */
  info(): SecondFactorInfo | undefined {
    this.vault.assertUnlocked();
    return this.records.info();
  }

  /**
   * Enrols a security key: its PRF output (evaluated with `prfSalt`) seals the second factor's
   * secret, and the master key is rewrapped so that the passphrase alone no longer opens it. The
   * first enrolment also writes the recovery codes and returns them (shown once; [] for another key).
   * Any "stay unlocked" wrapping is dropped: the keychain needs a new device key (Vault.deviceKey).
   */
  enrol(passphrase: string, key: { credentialId: string; prfSalt: string; prfOutput: Uint8Array }): string[] {
    const { db, vaultId, masterKey, recordsKey, audit } = this.vault;
    this.vault.assertUnlocked();
    const existing = this.records.info();
    if (existing?.credentials.some((c) => c.id === key.credentialId))
      throw new HearthError('ALREADY_EXISTS', 'That security key is already enrolled for this vault.');
    if (existing && existing.prfSalt !== key.prfSalt)
      throw new HearthError('BAD_REQUEST', 'The security key was asked with another salt than this vault uses; start the enrolment again.');
    if (key.prfOutput.length !== PRF_BYTES)
      throw new HearthError('BAD_REQUEST', `A security key's PRF output is ${PRF_BYTES} bytes; this one is not. Try the enrolment again.`);
    const kek = this.passphraseKek(passphrase, 'second factor enrolment', false);
    const secret = existing ? this.records.secretFromRecords(recordsKey) : SecondFactorRecords.newSecret();
    const kek2 = combinedKek(kek, secret);
    const wrapped = wrapMasterKey(kek2, masterKey, vaultId);
    wipeBytes(kek);
    wipeBytes(kek2);
    const codes = db.transaction(() => {
      this.records.writeEnrolment({ secret, recordsKey, ...key });
      if (existing) return [];
      writeMasterKeyWrapping(db, wrapped);
      // A keychain copy from before would open the vault without the key: it must be made anew.
      db.prepare("DELETE FROM meta WHERE key = 'device_key'").run();
      return this.records.replaceRecoveryCodes(secret);
    })();
    audit.record('second_factor.enrolled', key.credentialId);
    wipeBytes(secret);
    // The passphrase-only wrapping must not survive in the WAL.
    db.pragma('wal_checkpoint(TRUNCATE)');
    return codes;
  }

  /** Checks a proof of the second factor before a sensitive step (`context`, e.g. "delete the account"); a recovery code is used up. */
  check(proof: SecondFactorProof | undefined, context: string): void {
    const { recordsKey, audit } = this.vault;
    this.vault.assertUnlocked();
    if (!this.records.info()) return;
    if (!proof)
      throw new HearthError('SECOND_FACTOR_REQUIRED', `To ${context}, confirm with your security key (or a recovery code): this vault has a second factor.`);
    const opened = this.records.openSecret(proof);
    const expected = this.records.secretFromRecords(recordsKey);
    const fits = opened !== undefined && sodium().memcmp(opened.secret, expected);
    wipeBytes(opened?.secret);
    wipeBytes(expected);
    if (!fits) {
      audit.record('vault.unlock_failed', context);
      throw new HearthError(
        'WRONG_SECOND_FACTOR',
        `That ${proof.kind === 'key' ? 'security key is not enrolled for this vault' : 'recovery code is mistyped or was used already'}; nothing was changed.`,
      );
    }
    if (opened.codeId) audit.record('recovery_code.used', `${context}; ${this.records.consume(opened.codeId)} left`);
    else audit.record('second_factor.used', context);
  }

  /** Removes the second factor after checking the passphrase and the factor: the master key is wrapped under the passphrase alone again. */
  remove(passphrase: string, proof: SecondFactorProof | undefined): void {
    const { db, vaultId, masterKey, audit } = this.vault;
    this.vault.assertUnlocked();
    if (!this.records.info()) throw new HearthError('NOT_FOUND', 'This vault has no second factor to remove.');
    const kek = this.passphraseKek(passphrase, 'second factor removal', false);
    try {
      this.check(proof, 'remove the second factor');
    } catch (error) {
      wipeBytes(kek);
      throw error;
    }
    const wrapped = wrapMasterKey(kek, masterKey, vaultId);
    wipeBytes(kek);
    db.transaction(() => {
      this.records.remove();
      writeMasterKeyWrapping(db, wrapped);
      audit.record('second_factor.removed');
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Replaces the recovery codes (after checking the passphrase and the second factor); returns the new ones, shown once. */
  replaceRecoveryCodes(passphrase: string, proof: SecondFactorProof | undefined): string[] {
    const { db, recordsKey, audit } = this.vault;
    this.vault.assertUnlocked();
    if (!this.records.info()) throw new HearthError('NOT_FOUND', 'This vault has no second factor, so it has no recovery codes. Enrol a security key first.');
    wipeBytes(this.passphraseKek(passphrase, 'new recovery codes', false));
    this.check(proof, 'make new recovery codes');
    const secret = this.records.secretFromRecords(recordsKey);
    const codes = this.records.replaceRecoveryCodes(secret);
    wipeBytes(secret);
    audit.record('recovery_codes.replaced');
    db.pragma('wal_checkpoint(TRUNCATE)');
    return codes;
  }

  /** The device secret for the keychain and the master key's wrapping under it and S (see Vault.deviceKey). */
  newDeviceKey(): Uint8Array {
    const { db, vaultId, masterKey, recordsKey } = this.vault;
    const deviceSecret = randomBytes(SECRET_BYTES);
    const secret = this.records.secretFromRecords(recordsKey);
    const kek = deviceKek(deviceSecret, secret);
    writeMeta(db, 'device_key', wrapMasterKey(kek, masterKey, vaultId));
    wipeBytes(kek);
    wipeBytes(secret);
    db.pragma('wal_checkpoint(TRUNCATE)');
    return deviceSecret;
  }

  /** `kek` (the passphrase's Argon2id key) mixed with S when a second factor is enrolled; a new array either way. */
  wrappingKek(kek: Uint8Array): Uint8Array {
    if (!this.records.info()) return kek.slice();
    const secret = this.records.secretFromRecords(this.vault.recordsKey);
    const kek2 = combinedKek(kek, secret);
    wipeBytes(secret);
    return kek2;
  }

  /**
   * The Argon2id key of `passphrase` if it opens this vault, mixed with S when `combined` (and a
   * second factor is enrolled); WRONG_PASSPHRASE, logged with `context`, otherwise.
   */
  passphraseKek(passphrase: string, context: string, combined: boolean): Uint8Array {
    const { db, vaultId, audit } = this.vault;
    const kek = deriveKek(passphrase, this.vault.kdf());
    const kek2 = this.wrappingKek(kek);
    const wrapped = db.prepare("SELECT value FROM meta WHERE key = 'master_key'").get() as { value: Buffer };
    const check = unwrapMasterKey(kek2, wrapped.value, vaultId);
    if (!check) {
      wipeBytes(kek);
      wipeBytes(kek2);
      audit.record('vault.unlock_failed', context);
      throw new HearthError('WRONG_PASSPHRASE', 'That passphrase is not right; nothing was changed.');
    }
    wipeBytes(check);
    wipeBytes(combined ? kek : kek2);
    return combined ? kek2 : kek;
  }
}

function writeMeta(db: Database, key: string, value: Uint8Array | string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    key,
    typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
  );
}

function writeMasterKeyWrapping(db: Database, wrapped: Uint8Array): void {
  writeMeta(db, 'master_key', wrapped);
  writeMeta(db, 'master_key_check', wrappedKeyChecksum(wrapped));
}
