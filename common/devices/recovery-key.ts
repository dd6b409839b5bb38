/**
 * The recovery key: a "paper device" of the account. 128 random bits, written as 32 Crockford
 * base32 characters in groups of four (the last 32 bits a checksum, so a typo is caught before
 * anything is sent), from which its Ed25519 and X25519 keys derive. The device log lists it as a
 * device of kind `recovery`: key envelopes are sealed to it like to any device, and it may sign in
 * and add a device, which is how a fresh machine becomes the account when every device is lost.
 * Its secret is never stored; at 128 bits a plain KDF is enough (no passphrase stretching).
 */
import { HearthError } from '../errors.ts';
import { cryptoBackend, hash, randomBytes, toBase64Url, utf8 } from '../crypto/sodium.ts';
import type { IdentityKeys } from '../crypto/identity.ts';

const SECRET_BYTES = 16;
const CHECK_BYTES = 4;
/** Crockford's base32: no I, L, O or U, so what is read back from paper is unambiguous. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Characters people confuse, read as Crockford says. */
const READ_AS: Record<string, string> = { I: '1', L: '1', O: '0' };
export const RECOVERY_KEY_CHARS = ((SECRET_BYTES + CHECK_BYTES) * 8) / 5;
/** The name the recovery key has in the device log. */
export const RECOVERY_DEVICE_NAME = 'Recovery key';

function checksum(secret: Uint8Array): Uint8Array {
  return hash(concat(utf8('hearth-recovery-check-v1\n'), secret)).subarray(0, CHECK_BYTES);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** A fresh recovery key as the person writes it down: eight groups of four characters. */
export function newRecoveryKey(): string {
  const secret = randomBytes(SECRET_BYTES);
  return encode(concat(secret, checksum(secret)))
    .match(/.{4}/g)!
    .join('-');
}

/**
 * The secret a typed recovery key holds. Case, spaces and dashes do not matter, nor I/L for 1 and
 * O for 0; a wrong length or checksum is refused (BAD_RECOVERY_KEY) before anything is sent.
 */
export function parseRecoveryKey(typed: string): Uint8Array {
  const cleaned = typed
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[ILO]/g, (c) => READ_AS[c]!);
  if (cleaned.length !== RECOVERY_KEY_CHARS || [...cleaned].some((c) => !ALPHABET.includes(c)))
    throw new HearthError(
      'BAD_RECOVERY_KEY',
      `A recovery key is ${RECOVERY_KEY_CHARS} letters and digits (eight groups of four); check what you typed against the paper.`,
    );
  const bytes = new Uint8Array(SECRET_BYTES + CHECK_BYTES);
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const c of cleaned) {
    value = (value << 5) | ALPHABET.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bytes[at++] = (value >>> (bits - 8)) & 255;
      bits -= 8;
      value &= (1 << bits) - 1;
    }
  }
  const secret = bytes.subarray(0, SECRET_BYTES);
  const check = checksum(secret);
  if (check.some((b, i) => b !== bytes[SECRET_BYTES + i]))
    throw new HearthError(
      'BAD_RECOVERY_KEY',
      'That recovery key has a typo (its checksum does not match); compare it with the paper group by group. Nothing was sent.',
    );
  return secret.slice();
}

/** The recovery key's device keys, derived from its secret (the same key gives the same device everywhere). */
export function recoveryDeviceKeys(secret: Uint8Array): IdentityKeys & { id: string; box: string } {
  const backend = cryptoBackend();
  const master = hash(concat(utf8('hearth-recovery-key-v1\n'), secret));
  const signSeed = backend.deriveSubkey(32, 1, 'hrecover', master);
  const boxSeed = backend.deriveSubkey(32, 2, 'hrecover', master);
  const sign = backend.signKeypair(signSeed);
  const box = backend.boxKeypair(boxSeed);
  for (const bytes of [master, signSeed, boxSeed]) backend.memzero(bytes);
  return {
    id: toBase64Url(sign.publicKey),
    box: toBase64Url(box.publicKey),
    signPublicKey: sign.publicKey,
    signSecretKey: sign.secretKey,
    boxPublicKey: box.publicKey,
    boxSecretKey: box.secretKey,
  };
}

/** What the account material sealed to a recovery key is bound to (sealMaterial's pairing id). */
export function recoveryMaterialLabel(recoveryDevice: string): string {
  return `recovery:${recoveryDevice}`;
}
