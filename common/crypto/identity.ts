/** A user's long-lived keys: Ed25519 for signing, X25519 for receiving sealed keys. */
import { cryptoBackend } from './sodium.ts';

export interface IdentityKeys {
  signPublicKey: Uint8Array;
  signSecretKey: Uint8Array;
  boxPublicKey: Uint8Array;
  boxSecretKey: Uint8Array;
}

export function generateIdentityKeys(): IdentityKeys {
  const backend = cryptoBackend();
  const sign = backend.signKeypair();
  const box = backend.boxKeypair();
  return {
    signPublicKey: sign.publicKey,
    signSecretKey: sign.secretKey,
    boxPublicKey: box.publicKey,
    boxSecretKey: box.secretKey,
  };
}

export function signDetached(message: Uint8Array, signSecretKey: Uint8Array): Uint8Array {
  return cryptoBackend().signDetached(message, signSecretKey);
}

export function verifyDetached(signature: Uint8Array, message: Uint8Array, signPublicKey: Uint8Array): boolean {
  return cryptoBackend().verifyDetached(signature, message, signPublicKey);
}

/** Seals bytes to a recipient's X25519 key anonymously (crypto_box_seal). */
export function sealTo(message: Uint8Array, recipientBoxPublicKey: Uint8Array): Uint8Array {
  return cryptoBackend().boxSeal(message, recipientBoxPublicKey);
}

export function openSealed(sealed: Uint8Array, keys: Pick<IdentityKeys, 'boxPublicKey' | 'boxSecretKey'>): Uint8Array | undefined {
  return cryptoBackend().boxSealOpen(sealed, keys.boxPublicKey, keys.boxSecretKey);
}
