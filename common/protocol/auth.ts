/**
 * Sign-in proof: the account signs a nonce that this relay issued, together with the relay's id
 * and the purpose, so a signature can be used neither twice nor at another relay.
 */
import { fromBase64Url, toBase64Url, utf8 } from '../crypto/sodium.ts';
import { signDetached, verifyDetached } from '../crypto/identity.ts';

export type AuthPurpose = 'register' | 'signIn';

export function authMessage(purpose: AuthPurpose, relayId: string, nonce: string, account: string): Uint8Array {
  return utf8(`hearth-auth-v1\n${purpose}\n${relayId}\n${nonce}\n${account}`);
}

export function signAuth(purpose: AuthPurpose, relayId: string, nonce: string, account: string, signSecretKey: Uint8Array): string {
  return toBase64Url(signDetached(authMessage(purpose, relayId, nonce, account), signSecretKey));
}

export function verifyAuth(purpose: AuthPurpose, relayId: string, nonce: string, account: string, signature: string): boolean {
  try {
    return verifyDetached(fromBase64Url(signature), authMessage(purpose, relayId, nonce, account), fromBase64Url(account));
  } catch {
    return false;
  }
}
