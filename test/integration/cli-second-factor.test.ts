// The hearth command and a vault with a second factor, as real processes: it says clearly that the
// vault needs its security key (which a terminal cannot ask) and how to go on; a recovery code
// given with --recovery-code or HEARTH_RECOVERY_CODE opens it once, says how many are left, and is
// refused the next time. The security key is enrolled through the vault API with a PRF output as
// an authenticator returns it (the CLI has no WebAuthn).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { Vault } from '../../main/vault/vault.ts';
import { tempDir } from '../support/vault.ts';
import { runHearth } from './cli-fixture.ts';

const vaultDir = join(tempDir('hearth-cli-2fa-'), 'vault');
const env = { ...process.env, HEARTH_VAULT: vaultDir, HEARTH_PASSPHRASE: 'cli second factor passphrase' };
let codes: string[];

beforeAll(async () => {
  expect((await runHearth(['init', '--username', 'cli-2fa'], env)).code).toBe(0);
  const vault = await Vault.unlock(vaultDir, env.HEARTH_PASSPHRASE);
  codes = vault.secondFactor.enrol(env.HEARTH_PASSPHRASE, {
    credentialId: 'cli-key',
    prfSalt: randomBytes(32).toString('base64url'),
    prfOutput: randomBytes(32),
  });
  vault.lock();
});

test('without a recovery code the command says the vault needs its second factor and how to give a recovery code', async () => {
  const run = await runHearth(['workspace', 'list'], env);
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe(
    'hearth: This vault needs its second factor, a security key, which the hearth command cannot use. Unlock it in the Hearth app, or give one of your recovery codes with --recovery-code CODE (or HEARTH_RECOVERY_CODE): each code works once.\n',
  );
});

test('a recovery code opens the vault once (flag or environment), and the count goes down', async () => {
  const first = await runHearth(['workspace', 'list', '--recovery-code', codes[0]!], env);
  expect(first.code).toBe(0);
  expect(first.stdout).toContain('Personal');
  expect(first.stderr).toBe('Used a recovery code; it will not work again. 9 left: make new ones in Settings → Security.\n');

  const again = await runHearth(['workspace', 'list', '--recovery-code', codes[0]!], env);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('That recovery code does not open this vault: it is mistyped or was used already.');

  const wrongPassphrase = await runHearth(['workspace', 'list'], { ...env, HEARTH_PASSPHRASE: 'not the passphrase', HEARTH_RECOVERY_CODE: codes[1]! });
  expect(wrongPassphrase.code).toBe(1);
  expect(wrongPassphrase.stderr).toContain('That passphrase does not unlock this vault.');

  // The code that met a wrong passphrase was not used up.
  const audit = await runHearth(['audit', '--json'], { ...env, HEARTH_RECOVERY_CODE: codes[1]! });
  expect(audit.code).toBe(0);
  const entries = JSON.parse(audit.stdout) as Array<{ action: string; target?: string }>;
  expect(entries.filter((e) => e.action === 'recovery_code.used').map((e) => e.target)).toEqual(['9 left', '8 left']);
  expect(entries.filter((e) => e.action === 'vault.unlock_failed')).toHaveLength(2);
});
