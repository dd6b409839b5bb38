/**
 * The relay's Ed25519 checks (pushed changes, sign-in proofs) with Node's native crypto, which
 * is faster than libsodium's WebAssembly; they run in the verification threads (verify-pool.ts).
 * The formats and the messages signed are common/protocol's: only the library differs.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AccountIdSchema } from '../common/membership/log.ts';
import { authMessage, type AuthPurpose } from '../common/protocol/auth.ts';
import { forgedChange, parseChange, signedMessage, type ChangeMeta } from '../common/protocol/change.ts';

/** Public keys already imported, by account id; the few thousand active accounts are checked over and over. */
const keys = new Map<string, KeyObject | null>();
const KEYS_KEPT = 20_000;

function publicKey(account: string): KeyObject | null {
  let key = keys.get(account);
  if (key === undefined) {
    try {
      // An account id is the base64url public key, which is exactly a JWK's "x".
      key = AccountIdSchema.safeParse(account).success ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: account }, format: 'jwk' }) : null;
    } catch {
      key = null;
    }
    if (keys.size >= KEYS_KEPT) keys.clear();
    keys.set(account, key);
  }
  return key;
}

function checks(message: Uint8Array, signature: Uint8Array, account: string): boolean {
  const key = publicKey(account);
  if (!key || signature.length !== 64) return false;
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** Parses a change blob and checks its author's signature; throws BAD_REQUEST or RECORD_TAMPERED as verifyChange does. */
export function verifyChangeSignature(bytes: Uint8Array): ChangeMeta {
  const change = parseChange(bytes);
  if (!checks(signedMessage(change), change.signature, change.meta.author)) throw forgedChange();
  return change.meta;
}

/** Whether `signature` (base64url) signs this sign-in or registration for `account` (by `device`, when named), as verifyAuth decides. */
export function verifyAuthSignature(purpose: AuthPurpose, relayId: string, nonce: string, account: string, signature: string, device?: string): boolean {
  const bytes = Buffer.from(signature, 'base64url');
  // Only the one canonical spelling of a signature is accepted, as libsodium's decoder does.
  if (bytes.toString('base64url') !== signature) return false;
  return checks(authMessage(purpose, relayId, nonce, account, device), bytes, device ?? account);
}
