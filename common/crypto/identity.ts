/** A user's long-lived keys: Ed25519 for signing, X25519 for receiving sealed keys. */
import { sodium } from './sodium.ts';

export interface IdentityKeys {
  signPublicKey: Uint8Array;
  signSecretKey: Uint8Array;
  boxPublicKey: Uint8Array;
  boxSecretKey: Uint8Array;
}

export function generateIdentityKeys(): IdentityKeys {
  const s = sodium();
  const sign = s.crypto_sign_keypair();
  const box = s.crypto_box_keypair();
  return {
    signPublicKey: sign.publicKey,
    signSecretKey: sign.privateKey,
    boxPublicKey: box.publicKey,
    boxSecretKey: box.privateKey,
  };
}

export function signDetached(message: Uint8Array, signSecretKey: Uint8Array): Uint8Array {
  return sodium().crypto_sign_detached(message, signSecretKey);
}

export function verifyDetached(signature: Uint8Array, message: Uint8Array, signPublicKey: Uint8Array): boolean {
  try {
    return sodium().crypto_sign_verify_detached(signature, message, signPublicKey);
  } catch {
    return false;
  }
}

/** Seals bytes to a recipient's X25519 key anonymously (crypto_box_seal). */
export function sealTo(message: Uint8Array, recipientBoxPublicKey: Uint8Array): Uint8Array {
  return sodium().crypto_box_seal(message, recipientBoxPublicKey);
}

export function openSealed(sealed: Uint8Array, keys: Pick<IdentityKeys, 'boxPublicKey' | 'boxSecretKey'>): Uint8Array | undefined {
  try {
    return sodium().crypto_box_seal_open(sealed, keys.boxPublicKey, keys.boxSecretKey);
  } catch {
    return undefined;
  }
}
