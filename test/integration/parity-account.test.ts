/**
 * Parity, deleting an account while one of its relays is gone for good: through the app's API and
 * through the `hearth` CLI the same. Without skipping, it is refused naming that relay, and nothing
 * is deleted anywhere (the account and its space stay at the reachable relay, the vault here);
 * skipping it (the app names it, the CLI's --force-local), the account and the space it alone
 * owned are gone from the reachable relay, the vault from this device, and the result names the
 * skipped relay. Then, the app alone: it skips only the relays the person named.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiDoor, doors, Names, type Outcome } from './parity-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

let relay: TestRelay;
const seen = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay?.stop();
});

for (const door of doors) {
  describe(`account deletion with a relay gone for good, through the ${door.name}`, { timeout: 300_000 }, () => {
    test('refused without skipping it, nothing deleted; skipped, deleted where reachable and wiped here', async () => {
      const gone = await startTestRelay();
      const kim = await door.person('kim');
      const names = new Names();
      names.add(kim);
      const normalise = (outcome: Outcome) => (outcome === 'ok' ? 'ok' : { code: outcome.code, message: names.normalise(outcome.message).split(gone.url).join('<gone>') });
      const log: Record<string, unknown> = {};
      try {
        await kim.registerOn(relay.url);
        await kim.registerOn(gone.url);
        const ws = await kim.createTeam('Team', relay.url);
        await kim.createDocument(ws, 'Plan');
        await kim.sync();
        const { account } = (await relay.store.findByUsername(kim.username))!;
        await gone.stop();

        const refused = await kim.deleteAccount();
        log['without skipping'] = normalise(refused.outcome);
        expect(refused.outcome).toEqual(expect.objectContaining({ code: 'UNAVAILABLE', message: expect.stringContaining(gone.url) }));
        expect(JSON.stringify(log['without skipping'])).toMatch(/nothing was deleted/);
        log['vault after the refusal'] = await kim.hasVault();
        expect(log['vault after the refusal']).toBe(true);
        log['relay after the refusal'] = { account: (await relay.store.getAccount(account)) !== undefined, space: (await relay.store.getSpace(ws)) !== undefined };
        expect(log['relay after the refusal']).toEqual({ account: true, space: true });

        const deleted = await kim.deleteAccount([gone.url]);
        log['skipping it'] = { outcome: deleted.outcome, skipped: deleted.skipped?.map((url) => (url === gone.url ? '<gone>' : url)) };
        expect(deleted).toEqual({ outcome: 'ok', skipped: [gone.url] });
        log['vault after the deletion'] = await kim.hasVault();
        expect(log['vault after the deletion']).toBe(false);
        log['relay after the deletion'] = { account: (await relay.store.getAccount(account)) !== undefined, space: (await relay.store.getSpace(ws)) !== undefined };
        expect(log['relay after the deletion']).toEqual({ account: false, space: false });
        seen.set(door.name, log);
      } finally {
        await kim.close();
      }
    });
  });
}

describe('parity', () => {
  test('the app and the CLI came to the same outcomes', () => {
    expect(seen.size).toBe(2);
    expect(seen.get('cli')).toEqual(seen.get('api'));
  });
});

describe('the app skips only the relays the person named', { timeout: 120_000 }, () => {
  test('a second relay out of reach, not named, refuses it all; named too, the deletion goes ahead', async () => {
    const [first, second] = [await startTestRelay(), await startTestRelay()];
    const kim = await apiDoor.person('kim');
    try {
      await kim.registerOn(relay.url);
      await kim.registerOn(first.url);
      await kim.registerOn(second.url);
      const { account } = (await relay.store.findByUsername(kim.username))!;
      await first.stop();
      await second.stop();
      const one = await kim.deleteAccount([first.url]);
      expect(one.outcome).toEqual(expect.objectContaining({ code: 'UNAVAILABLE', message: expect.stringContaining(second.url) }));
      expect(one.outcome === 'ok' ? '' : one.outcome.message).not.toContain(first.url);
      expect(await kim.hasVault()).toBe(true);
      expect(await relay.store.getAccount(account)).toBeDefined();
      const both = await kim.deleteAccount([first.url, second.url]);
      expect(both).toEqual({ outcome: 'ok', skipped: [first.url, second.url] });
      expect(await kim.hasVault()).toBe(false);
      expect(await relay.store.getAccount(account)).toBeUndefined();
    } finally {
      await kim.close();
    }
  });
});
