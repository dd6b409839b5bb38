/**
 * Sign-in proof: a device signs a nonce that this relay issued, together with the relay's id, the
 * purpose, the account and itself, so a signature can be used neither twice, nor at another
 * relay, nor for another account or device. An account without a device log (registered before
 * devices existed, or a bare protocol client) signs with its account key and names no device.
 */
import { fromBase64Url, toBase64Url, utf8 } from '../crypto/sodium.ts';
import { signDetached, verifyDetached } from '../crypto/identity.ts';

export type AuthPurpose = 'register' | 'signIn';

export function authMessage(purpose: AuthPurpose, relayId: string, nonce: string, account: string, device?: string): Uint8Array {
  return utf8(
    device === undefined
      ? `hearth-auth-v1\n${purpose}\n${relayId}\n${nonce}\n${account}`
      : `hearth-auth-v2\n${purpose}\n${relayId}\n${nonce}\n${account}\n${device}`,
  );
}

/** Signs with the device's key when `device` is given, else with the account key. */
export function signAuth(purpose: AuthPurpose, relayId: string, nonce: string, account: string, signSecretKey: Uint8Array, device?: string): string {
  return toBase64Url(signDetached(authMessage(purpose, relayId, nonce, account, device), signSecretKey));
}

/** Checks against the device's key when `device` is given, else the account's. */
export function verifyAuth(purpose: AuthPurpose, relayId: string, nonce: string, account: string, signature: string, device?: string): boolean {
  try {
    return verifyDetached(fromBase64Url(signature), authMessage(purpose, relayId, nonce, account, device), fromBase64Url(device ?? account));
  } catch {
    return false;
  }
}
