import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Vault tests derive real Argon2id keys and spawn real processes; give them room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/support/native-crypto.ts'],
    // Memory tests collect garbage before sampling, so they measure what is held, not what awaits GC.
    execArgv: ['--expose-gc'],
    reporters: ['default'],
    // expect.poll waits for what a user would wait for (a peer's edit, a page's update); its 1 s
    // default fails on a loaded 2-core CI machine while the thing is still on its way. A poll that
    // passes returns at once; only a real failure waits this long.
    expect: { poll: { timeout: 10_000, interval: 25 } },
  },
});
