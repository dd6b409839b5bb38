/**
 * Whether an export came from this account, which decides how far an import trusts it.
 *
 * An account is its identity's Ed25519 key (the same key names it on every relay). The vault that
 * exports names that key in the manifest (`origin.account`), lists the SHA-256 of every other
 * file there (`digests`), and signs MANIFEST_SIGNATURE_CONTEXT followed by the manifest's exact
 * bytes with the secret half (signature.json). An import verifies that signature with its own
 * vault's public key: only then is the export this account's own, whole and unchanged, and may
 * keep its ids and merge into documents already here. A restored backup holds the same key, so
 * it recognises its exports; a new vault (a new account) does not. Anything else — another
 * account's export, an older export without a signature, an edited one — is imported as new
 * documents under new ids.
 */
import { fromBase64Url, fromHex, toBase64Url, utf8 } from '../../common/crypto/sodium.ts';
import { signDetached, verifyDetached } from '../../common/crypto/identity.ts';
import { MANIFEST_SIGNATURE_CONTEXT, type Manifest, type SignatureFile } from '../../common/export/schema.ts';
import type { Vault } from '../vault/vault.ts';

/** This vault's account id: its identity's Ed25519 public key, base64url. */
export function accountOf(vault: Vault): string {
  return toBase64Url(fromHex(vault.publicKeys.signPublicKey));
}

function signedBytes(manifestBytes: Uint8Array): Uint8Array {
  const context = utf8(MANIFEST_SIGNATURE_CONTEXT);
  const message = new Uint8Array(context.length + manifestBytes.length);
  message.set(context, 0);
  message.set(manifestBytes, context.length);
  return message;
}

/** signature.json for the manifest written as `manifestBytes`. */
export function signManifest(vault: Vault, manifestBytes: Uint8Array): SignatureFile {
  const keys = vault.identityKeys();
  try {
    return { algorithm: 'ed25519', signature: toBase64Url(signDetached(signedBytes(manifestBytes), keys.signSecretKey)) };
  } finally {
    keys.signSecretKey.fill(0);
    keys.boxSecretKey.fill(0);
  }
}

/** Whether the manifest names this vault's account and `signature` verifies with its key. */
export function isFromThisAccount(vault: Vault, manifest: Manifest, manifestBytes: Uint8Array, signature: SignatureFile | undefined): boolean {
  if (!signature || !manifest.origin || !manifest.digests || manifest.origin.account !== accountOf(vault)) return false;
  return verifyDetached(fromBase64Url(signature.signature), signedBytes(manifestBytes), fromHex(vault.publicKeys.signPublicKey));
}
