/**
 * Passphrase → Argon2id → key encryption key (KEK), which wraps the random vault master key.
 * Changing the passphrase rewraps the master key only; nothing else is re-encrypted.
 */
import { cryptoBackend, fromHex, hash, randomBytes, seal, toHex, tryOpen, utf8 } from '../../common/crypto/sodium.ts';
import { HearthError } from '../../common/errors.ts';

export interface KdfParams {
  algorithm: 'argon2id13';
  opsLimit: number;
  memLimit: number;
  /** hex */
  salt: string;
}

/** Measured here at about 0.45 s in libsodium's WebAssembly build, less with sodium-native (target 0.3–1 s). */
export const DEFAULT_KDF_COST = { opsLimit: 3, memLimit: 128 * 1024 * 1024 } as const;

/** libsodium's own interactive floor; the most a caller may lower the cost to. */
export const MIN_KDF_COST = { opsLimit: 2, memLimit: 64 * 1024 * 1024 } as const;

/** crypto_pwhash_SALTBYTES. */
const SALT_BYTES = 16;

export function newKdfParams(cost: { opsLimit: number; memLimit: number } = DEFAULT_KDF_COST): KdfParams {
  if (cost.opsLimit < MIN_KDF_COST.opsLimit || cost.memLimit < MIN_KDF_COST.memLimit) {
    throw new HearthError('BAD_REQUEST', 'The key derivation cost is below the safe minimum (2 passes, 64 MiB).');
  }
  return {
    algorithm: 'argon2id13',
    opsLimit: cost.opsLimit,
    memLimit: cost.memLimit,
    salt: toHex(randomBytes(SALT_BYTES)),
  };
}

export function deriveKek(passphrase: string, params: KdfParams): Uint8Array {
  return cryptoBackend().argon2id(32, utf8(passphrase), fromHex(params.salt), params.opsLimit, params.memLimit);
}

function masterKeyAd(vaultId: string): Uint8Array {
  return utf8(`hearth/1|master-key|${vaultId}`);
}

export function wrapMasterKey(kek: Uint8Array, masterKey: Uint8Array, vaultId: string): Uint8Array {
  return seal(kek, masterKey, masterKeyAd(vaultId));
}

export function unwrapMasterKey(kek: Uint8Array, wrapped: Uint8Array, vaultId: string): Uint8Array | undefined {
  return tryOpen(kek, wrapped, masterKeyAd(vaultId));
}

/** A checksum of the wrapped key tells a damaged file apart from a wrong passphrase. */
export function wrappedKeyChecksum(wrapped: Uint8Array): Uint8Array {
  return hash(wrapped, 16);
}

/** Subkeys of the master key, one per purpose, so no key is used for two jobs. */
export const SubkeyPurpose = { records: 1 } as const;

export function deriveSubkey(masterKey: Uint8Array, purpose: number): Uint8Array {
  return cryptoBackend().deriveSubkey(32, purpose, 'hearthvk', masterKey);
}
