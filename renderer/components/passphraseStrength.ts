/**
 * A rough strength estimate for the hint under the passphrase field. It only guides: the real
 * protection is Argon2id in main, and the only hard rule (8 characters) is main's.
 */
export interface Strength {
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  hint: string;
}

const common = /^(password|passw0rd|qwerty|letmein|welcome|admin|iloveyou|123456|hearth)/i;

export function passphraseStrength(passphrase: string): Strength {
  if (passphrase.length === 0)
    return { score: 0, label: 'Empty', hint: 'Use at least 8 characters; four or more unrelated words are strong and easy to remember.' };
  let pool = 0;
  if (/[a-z]/.test(passphrase)) pool += 26;
  if (/[A-Z]/.test(passphrase)) pool += 26;
  if (/[0-9]/.test(passphrase)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(passphrase)) pool += 33;
  const unique = new Set(passphrase).size;
  let bits = Math.log2(Math.max(pool, 2)) * Math.min(passphrase.length, unique * 2);
  if (common.test(passphrase)) bits = Math.min(bits, 20);
  if (passphrase.length < 8)
    return { score: 0, label: 'Too short', hint: `Add ${8 - passphrase.length} more character${passphrase.length === 7 ? '' : 's'}: at least 8 are needed.` };
  if (bits < 40) return { score: 1, label: 'Weak', hint: 'Easy to guess. Add more words or characters.' };
  if (bits < 60) return { score: 2, label: 'Fair', hint: 'Could be stronger: add another word.' };
  if (bits < 80) return { score: 3, label: 'Good', hint: 'A good passphrase.' };
  return { score: 4, label: 'Strong', hint: 'A strong passphrase.' };
}
