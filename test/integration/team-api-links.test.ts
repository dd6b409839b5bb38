/**
 * S8 for public links opened in the app, through the API (in-process door, real relays on
 * 127.0.0.1): Bob's vault added relay A only. A link on relay A opens. A link on relay B, which
 * his vault never added, is refused with FORBIDDEN naming B's host — and no connection to B is
 * even attempted (a connection recorder around the whole process) — until the page sends the
 * user's explicit yes (`{ otherHost: true }`); then it opens, fetched from B.
 */
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setBodyFromMarkdown } from '../../common/richtext/index.ts';
import { recordConnections } from '../support/connection-recorder.ts';
import { startTestRelay, type TestRelay } from './relay-fixture.ts';
import { expectOk, inProcess, type TransportUnderTest } from './transport-fixture.ts';

const PASSPHRASE = 'a long enough passphrase';
let relayA: TestRelay;
let relayB: TestRelay;
const apps: TransportUnderTest[] = [];

async function user(name: string) {
  const app = await inProcess.start({});
  apps.push(app);
  const api = await app.connect();
  const username = `${name}-${process.pid}`;
  expectOk(await api.createVault({ passphrase: PASSPHRASE, username, displayName: name }));
  return { app, api, username };
}

/** A document in a new team workspace on `relayUrl`, published as a link; the link's URL. */
async function publish(api: Awaited<ReturnType<typeof user>>['api'], relayUrl: string, title: string, text: string): Promise<string> {
  const workspace = expectOk(await api.createTeamWorkspace(`${title} team`, relayUrl));
  const document = expectOk(await api.createDocument(workspace.id, { title }));
  const doc = A.change(A.load<{ body: string }>(expectOk(await api.openDocument(document.id)).bytes), (d) => setBodyFromMarkdown(d, text));
  expectOk(await api.applyChanges(document.id, [A.getLastLocalChange(doc)!]));
  return expectOk(await api.createLink(document.id, {})).url;
}

function port(url: string): string {
  return new URL(url).port;
}

let bob: Awaited<ReturnType<typeof user>>;
let linkOnA = '';
let linkOnB = '';

beforeAll(async () => {
  relayA = await startTestRelay();
  relayB = await startTestRelay();
  const ada = await user('ada');
  linkOnA = await publish(ada.api, relayA.url, 'Menu', 'Soup of the day: LINKA-7c1');
  // Cy publishes on relay B and closes: nothing in this process talks to B any more.
  const cy = await user('cy');
  linkOnB = await publish(cy.api, relayB.url, 'Elsewhere', 'Only on relay B: LINKB-93e');
  await cy.app.close();
  apps.splice(apps.indexOf(cy.app), 1);
  bob = await user('bob');
  expectOk(await bob.api.registerAccount(relayA.url));
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await relayA?.stop();
  await relayB?.stop();
});

describe('opening public links in the app (S8: only relays the user added)', () => {
  test('a link on a relay this vault added opens', async () => {
    expect(new URL(linkOnA).origin).toBe(new URL(relayA.httpUrl).origin);
    const opened = expectOk(await bob.api.openLink(linkOnA));
    expect(opened).toMatchObject({ title: 'Menu', markdown: expect.stringContaining('Soup of the day: LINKA-7c1'), expiresAt: null });
  });

  test('a link on another relay is refused, naming its host, with no connection to it; it opens after the explicit yes', async () => {
    const hostB = new URL(linkOnB).host;
    const recorder = recordConnections();
    let refused;
    try {
      refused = await bob.api.openLink(linkOnB);
    } finally {
      recorder.stop();
    }
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.code).toBe('FORBIDDEN');
    expect(refused.error.message).toContain(hostB);
    expect(refused.error.message).toMatch(/only talks to the relays you added/);
    expect(refused.error.message).toMatch(/nothing was fetched/i);
    expect(refused.error.message).toMatch(/web browser/);
    expect(recorder.attempts.filter((a) => a.target.includes(`:${port(relayB.url)}`) || a.target.includes(hostB))).toEqual([]);

    // Not a relay Bob added, even on the same machine: another port is another host.
    expect(expectOk(await bob.api.listRelays()).map((r) => r.url)).toEqual([relayA.url]);

    const confirmed = recordConnections();
    let opened;
    try {
      opened = expectOk(await bob.api.openLink(linkOnB, { otherHost: true }));
    } finally {
      confirmed.stop();
    }
    expect(opened).toMatchObject({ title: 'Elsewhere', markdown: expect.stringContaining('Only on relay B: LINKB-93e') });
    // Only the link's data was asked for; the key after '#' never left the process.
    const fetched = confirmed.attempts.filter((a) => a.via === 'fetch').map((a) => a.target);
    expect(fetched).toEqual([`fetch:${new URL(linkOnB).origin}${new URL(linkOnB).pathname}/data`]);
    expect(fetched.join()).not.toContain(new URL(linkOnB).hash.slice(1));
  });

  test('the confirmation does not stretch: the next call without it is refused again; bad input is refused first', async () => {
    const again = await bob.api.openLink(linkOnB);
    expect(again.ok === false && again.error.code).toBe('FORBIDDEN');
    const notALink = await bob.api.openLink('https://example.org/not-a-link');
    expect(notALink.ok === false && notALink.error.code).toBe('BAD_REQUEST');
    const badOption = await bob.api.openLink(linkOnB, { otherHost: false } as never);
    expect(badOption.ok === false && badOption.error.code).toBe('BAD_REQUEST');
    // The scheme counts too: a ws:// relay serves its links over http://; https:// on its host:port is another origin.
    const downgraded = await bob.api.openLink(linkOnA.replace('http://', 'https://'));
    expect(downgraded.ok === false && downgraded.error.code).toBe('FORBIDDEN');
  });
});
