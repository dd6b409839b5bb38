/**
 * Settings → Security's second factor for the app: what the page needs to enrol a security key
 * with WebAuthn's PRF extension, the enrolment itself (recovery codes shown once), removal and new
 * recovery codes. Every step also gives the keychain the new "stay unlocked" secret, which needs the
 * key as soon as one is enrolled. The key material lives in main/vault/second-factor.ts.
 */
import type { ApiResults, SecondFactorProofArg } from '../../common/api/contract.ts';
import { fromBase64Url, randomBytes, toBase64Url } from '../../common/crypto/sodium.ts';
import { PRF_BYTES, type SecondFactorProof } from '../vault/second-factor.ts';
import type { Session } from './session.ts';

/** The API's base64url proof as the vault takes it (bytes). */
export function proofOf(arg: SecondFactorProofArg): SecondFactorProof;
export function proofOf(arg: SecondFactorProofArg | undefined): SecondFactorProof | undefined;
export function proofOf(arg: SecondFactorProofArg | undefined): SecondFactorProof | undefined {
  if (!arg) return undefined;
  return arg.kind === 'key' ? { kind: 'key', credentialId: arg.credentialId, prfOutput: fromBase64Url(arg.prfOutput) } : arg;
}

export function secondFactorStatus(session: Session): ApiResults['secondFactor'] {
  const info = session.requireVault().secondFactor.info();
  return info ? { enrolledAt: info.enrolledAt, credentials: info.credentials, recoveryCodesLeft: info.recoveryCodesLeft, prfSalt: info.prfSalt } : null;
}

/**
 * The salt for the PRF (this vault's, or a new random one for a first enrolment) and the user the
 * credential is made for. The user id is random per call: it names no one, and a key may hold
 * several Hearth vaults' credentials.
 */
export function secondFactorEnrolment(session: Session): ApiResults['secondFactorEnrolment'] {
  const vault = session.requireVault();
  const prfSalt = vault.secondFactor.info()?.prfSalt ?? toBase64Url(randomBytes(PRF_BYTES));
  const { username, displayName } = vault.profile;
  return { prfSalt, user: { id: toBase64Url(randomBytes(16)), name: username, displayName } };
}

export function enrolSecondFactor(
  session: Session,
  input: { passphrase: string; credentialId: string; prfSalt: string; prfOutput: string },
): ApiResults['enrolSecondFactor'] {
  const vault = session.requireVault();
  const recoveryCodes = vault.secondFactor.enrol(input.passphrase, {
    credentialId: input.credentialId,
    prfSalt: input.prfSalt,
    prfOutput: fromBase64Url(input.prfOutput),
  });
  session.refreshKeychain();
  return { recoveryCodes };
}

export function removeSecondFactor(session: Session, passphrase: string, proof: SecondFactorProofArg): null {
  session.requireVault().secondFactor.remove(passphrase, proofOf(proof));
  session.refreshKeychain();
  return null;
}

export function replaceRecoveryCodes(session: Session, passphrase: string, proof: SecondFactorProofArg): ApiResults['replaceRecoveryCodes'] {
  return { recoveryCodes: session.requireVault().secondFactor.replaceRecoveryCodes(passphrase, proofOf(proof)) };
}
