/**
 * The page's side of the second factor: WebAuthn with the PRF extension. A security key (or
 * passkey) evaluates a pseudo-random function over the vault's salt; main mixes that output into
 * the key derivation, so nothing here decides whether the vault opens. Main never sees the key
 * itself, and no attestation or assertion signature is checked: what counts is that only this
 * credential produces this output.
 */
import type { SecondFactorProofArg } from '../../common/api/contract.ts';

type KeyProof = Extract<SecondFactorProofArg, { kind: 'key' }>;

/** How long the browser waits for a touch of the key. */
const TIMEOUT_MS = 120_000;

/** A WebAuthn step that failed, with what the user can do about it. */
export class SecurityKeyProblem extends Error {}

function toBase64Url(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = '';
  for (const byte of view) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function random(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** Whether this page can use security keys at all (a secure context with a valid domain, WebAuthn present). */
export function securityKeysUnavailable(): string | null {
  if (!window.isSecureContext || typeof PublicKeyCredential === 'undefined')
    return 'This window cannot use security keys. Open Hearth in the desktop app or in a current browser.';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(location.hostname)) {
    return `Browsers allow security keys only under a name, not an address: open Hearth at http://localhost:${location.port}/ (the second address npm start printed).`;
  }
  return null;
}

function problemOf(error: unknown): SecurityKeyProblem {
  if (error instanceof SecurityKeyProblem) return error;
  const name = (error as { name?: string })?.name;
  if (name === 'NotAllowedError' || name === 'AbortError')
    return new SecurityKeyProblem('The security key did not answer: the request was cancelled or timed out, or this key is not one enrolled here. Try again.');
  if (name === 'InvalidStateError') return new SecurityKeyProblem('This security key is already enrolled for this vault. Use another key.');
  if (name === 'SecurityError') return new SecurityKeyProblem(securityKeysUnavailable() ?? 'This page may not use security keys.');
  return new SecurityKeyProblem(`The security key could not be used (${(error as Error)?.message ?? String(error)}).`);
}

function prfFirst(credential: PublicKeyCredential): ArrayBuffer | undefined {
  const results = credential.getClientExtensionResults() as { prf?: { results?: { first?: ArrayBuffer } } };
  return results.prf?.results?.first;
}

/** Asks one of `credentialIds` for its PRF output over `prfSalt` (a touch of the key). */
export async function askSecurityKey(request: { prfSalt: string; credentialIds: string[] }): Promise<KeyProof> {
  const unavailable = securityKeysUnavailable();
  if (unavailable) throw new SecurityKeyProblem(unavailable);
  try {
    const credential = (await navigator.credentials.get({
      publicKey: {
        challenge: random(32),
        timeout: TIMEOUT_MS,
        userVerification: 'preferred',
        allowCredentials: request.credentialIds.map((id) => ({ type: 'public-key' as const, id: fromBase64Url(id) })),
        extensions: { prf: { eval: { first: fromBase64Url(request.prfSalt) } } } as AuthenticationExtensionsClientInputs,
      },
    })) as PublicKeyCredential | null;
    const output = credential && prfFirst(credential);
    if (!credential || !output) throw new SecurityKeyProblem('This security key cannot derive a key (it lacks the PRF extension). Use a key that supports it.');
    return { kind: 'key', credentialId: toBase64Url(credential.rawId), prfOutput: toBase64Url(output) };
  } catch (error) {
    throw problemOf(error);
  }
}

/** Makes a credential on a security key for this vault and returns its id and PRF output over `prfSalt`. */
export async function enrolSecurityKey(
  enrolment: { prfSalt: string; user: { id: string; name: string; displayName: string } },
  exclude: string[],
): Promise<KeyProof> {
  const unavailable = securityKeysUnavailable();
  if (unavailable) throw new SecurityKeyProblem(unavailable);
  let credential: PublicKeyCredential | null;
  try {
    credential = (await navigator.credentials.create({
      publicKey: {
        rp: { name: 'Hearth' },
        user: { id: fromBase64Url(enrolment.user.id), name: enrolment.user.name, displayName: enrolment.user.displayName },
        challenge: random(32),
        pubKeyCredParams: [
          { type: 'public-key', alg: -7 },
          { type: 'public-key', alg: -257 },
        ],
        timeout: TIMEOUT_MS,
        excludeCredentials: exclude.map((id) => ({ type: 'public-key' as const, id: fromBase64Url(id) })),
        authenticatorSelection: { userVerification: 'preferred', residentKey: 'discouraged' },
        extensions: { prf: { eval: { first: fromBase64Url(enrolment.prfSalt) } } } as AuthenticationExtensionsClientInputs,
      },
    })) as PublicKeyCredential | null;
  } catch (error) {
    throw problemOf(error);
  }
  if (!credential) throw new SecurityKeyProblem('No security key was enrolled. Try again.');
  const credentialId = toBase64Url(credential.rawId);
  const output = prfFirst(credential);
  if (output) return { kind: 'key', credentialId, prfOutput: toBase64Url(output) };
  // Many keys only evaluate the PRF when asked for an assertion: ask once more (a second touch).
  return askSecurityKey({ prfSalt: enrolment.prfSalt, credentialIds: [credentialId] });
}
