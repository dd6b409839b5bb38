import { describe, expect, it } from 'vitest';
import { loadSodium, newId } from '../../../common/crypto/sodium.ts';

describe('newId', () => {
  it('is 22 URL-safe characters, unique, and never starts like a command-line option', async () => {
    await loadSodium();
    const ids = Array.from({ length: 20_000 }, newId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{21}$/);
  });
});
