import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Vault tests derive real Argon2id keys and spawn real processes; give them room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Memory tests collect garbage before sampling, so they measure what is held, not what awaits GC.
    execArgv: ['--expose-gc'],
    reporters: ['default'],
  },
});
