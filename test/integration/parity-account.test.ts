/**
 * Parity, deleting an account while one of its relays is gone for good: through the app's API and
 * through the `hearth` CLI the same. Without skipping, it is refused naming that relay, and nothing
 * is deleted anywhere (the account and its space stay at the reachable relay, the vault here);
 * skipping it (the app names it, the CLI's --force-local), the account and the space it alone
 * owned are gone from the reachable relay, the vault from this device, and the result names the
 * skipped relay. Then, the app alone: it skips only the relays the person named.
 */
import { describe, expect, test } from 'vitest';
import { apiDoor, throughEachDoor, withPeople, type Outcome, type Person } from './parity-fixture.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';

/** Whether the relay still holds the account and the space. */
async function holds(relay: TestRelay, account: string, space: string): Promise<{ account: boolean; space: boolean }> {
  return { account: (await relay.store.getAccount(account)) !== undefined, space: (await relay.store.getSpace(space)) !== undefined };
}

throughEachDoor('refused without skipping it, nothing deleted; skipped, deleted where reachable and wiped here', 300_000, (door, relay) =>
  withPeople(door, ['kim'], async ([kim], names) => {
    const gone = await startTestRelay();
    const person = kim as Person;
    // The relay that is gone has another port in each run: named alike in the log.
    const normalise = (outcome: Outcome) =>
      outcome === 'ok' ? 'ok' : { code: outcome.code, message: names.normalise(outcome.message).split(gone.url).join('<gone>') };
    const log: Record<string, unknown> = {};
    await person.registerOn(relay.url);
    await person.registerOn(gone.url);
    const ws = await person.createTeam('Team', relay.url);
    await person.createDocument(ws, 'Plan');
    await person.sync();
    const { account } = (await relay.store.findByUsername(person.username))!;
    await gone.stop();

    const refused = await person.deleteAccount();
    log['without skipping'] = normalise(refused.outcome);
    expect(refused.outcome).toEqual(expect.objectContaining({ code: 'UNAVAILABLE', message: expect.stringContaining(gone.url) }));
    expect(JSON.stringify(log['without skipping'])).toMatch(/nothing was deleted/);
    log['vault after the refusal'] = await person.hasVault();
    expect(log['vault after the refusal']).toBe(true);
    log['relay after the refusal'] = await holds(relay, account, ws);
    expect(log['relay after the refusal']).toEqual({ account: true, space: true });

    const deleted = await person.deleteAccount([gone.url]);
    log['skipping it'] = { outcome: deleted.outcome, skipped: deleted.skipped?.map((url) => (url === gone.url ? '<gone>' : url)) };
    expect(deleted).toEqual({ outcome: 'ok', skipped: [gone.url] });
    log['vault after the deletion'] = await person.hasVault();
    expect(log['vault after the deletion']).toBe(false);
    log['relay after the deletion'] = await holds(relay, account, ws);
    expect(log['relay after the deletion']).toEqual({ account: false, space: false });
    return log;
  }),
);

describe('the app skips only the relays the person named', { timeout: 120_000 }, () => {
  test('a second relay out of reach, not named, refuses it all; named too, the deletion goes ahead', async () => {
    const relay = await startTestRelay();
    const [first, second] = [await startTestRelay(), await startTestRelay()];
    try {
      await withPeople(apiDoor, ['kim'], async ([kim]) => {
        const person = kim as Person;
        for (const url of [relay.url, first.url, second.url]) await person.registerOn(url);
        const { account } = (await relay.store.findByUsername(person.username))!;
        await first.stop();
        await second.stop();
        const one = await person.deleteAccount([first.url]);
        expect(one.outcome).toEqual(expect.objectContaining({ code: 'UNAVAILABLE', message: expect.stringContaining(second.url) }));
        expect(one.outcome === 'ok' ? '' : one.outcome.message).not.toContain(first.url);
        expect(await person.hasVault()).toBe(true);
        expect(await relay.store.getAccount(account)).toBeDefined();
        const both = await person.deleteAccount([first.url, second.url]);
        expect(both).toEqual({ outcome: 'ok', skipped: [first.url, second.url] });
        expect(await person.hasVault()).toBe(false);
        expect(await relay.store.getAccount(account)).toBeUndefined();
      });
    } finally {
      await relay.stop();
    }
  });
});
