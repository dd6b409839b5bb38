/**
 * Parity, comments by role: the same scenario through the app's API and through the `hearth` CLI,
 * each against a real relay, must come to the same outcomes. One team workspace with one person
 * per role, threads by the Owner, the Commenter and the Editor, then every role tries to resolve
 * and to delete. The rules (common/roles.ts): whoever may edit resolves any thread, a Commenter
 * only their own, a Viewer none; a comment's author deletes it, as do Owners and Admins, and a
 * thread goes only with the right to delete each reply in it. A resolve and a deletion reach every
 * member; a refused one changes nothing anywhere. What members see after syncing is compared too.
 */
import { expect } from 'vitest';
import { runLog, throughEachDoor, withPeople, type Outcome, type Person, type Thread } from './parity-fixture.ts';

/** Threads in a stable order, for comparing what two people (or two runs) see. */
function sorted(threads: Thread[]): Thread[] {
  return [...threads].sort((a, b) => a.texts[0]!.localeCompare(b.texts[0]!));
}

throughEachDoor('resolve and delete, by each role, on their own and on others’ comments', 600_000, (door, relay) =>
  withPeople(door, ['ann', 'ada', 'eve', 'cat', 'vic'], async (people, names) => {
    for (const person of people) await person.registerOn(relay.url);
    const [ann, ada, eve, cat, vic] = people as [Person, Person, Person, Person, Person];
    const { log, record } = runLog(names);
    const attempt = async (key: string, outcome: Promise<Outcome>, expected: 'ok' | string) => {
      const result = record(key, await outcome);
      expect(result === 'ok' ? 'ok' : result.code, `${key}: ${JSON.stringify(result)}`).toBe(expected);
    };
    const syncAll = async () => {
      for (const person of people) await person.sync();
    };
    const ws = await ann.createTeam('Team', relay.url);
    const doc = await ann.createDocument(ws, 'Plan');
    const ownerThread = await ann.comment(doc, 'Owner’s thread');
    for (const [person, role] of [
      [ada, 'admin'],
      [eve, 'editor'],
      [cat, 'commenter'],
      [vic, 'viewer'],
    ] as const) {
      expect(await ann.invite(ws, person.username, role)).toBe('ok');
      expect(await person.accept(ws)).toBe('ok');
      await person.sync();
    }
    const commenterThread = await cat.comment(doc, 'Commenter’s thread');
    const commenterReply = await cat.comment(doc, 'Commenter’s reply', ownerThread);
    await cat.sync();
    await eve.sync();
    const editorThread = await eve.comment(doc, 'Editor’s thread');
    await eve.comment(doc, 'Editor’s reply', commenterThread);
    await eve.sync();
    await syncAll();

    await attempt('Viewer resolves the Owner’s thread', vic.resolve(ownerThread, true), 'FORBIDDEN');
    await attempt('Commenter resolves the Owner’s thread', cat.resolve(ownerThread, true), 'FORBIDDEN');
    await attempt('Commenter resolves their own thread', cat.resolve(commenterThread, true), 'ok');
    await cat.sync();
    await attempt('Editor resolves the Owner’s thread', eve.resolve(ownerThread, true), 'ok');
    await eve.sync();
    await ada.sync();
    await attempt('Admin reopens the Owner’s thread', ada.resolve(ownerThread, false), 'ok');
    await ada.sync();
    await syncAll();
    // Resolving reaches everyone: the Commenter's own thread resolved, the Owner's reopened by the Admin last.
    for (const person of people) log[`${person.name} sees after resolving`] = sorted(await person.threads(doc));
    for (const person of people) {
      const sees = log[`${person.name} sees after resolving`] as Thread[];
      expect(sees.find((t) => t.texts[0] === 'Commenter’s thread')?.resolved, person.name).toBe(true);
      expect(sees.find((t) => t.texts[0] === 'Owner’s thread')?.resolved, person.name).toBe(false);
    }

    await attempt('Viewer deletes the Owner’s comment', vic.deleteComment(ownerThread), 'FORBIDDEN');
    await attempt('Commenter deletes the Owner’s thread', cat.deleteComment(ownerThread), 'FORBIDDEN');
    await attempt('Editor deletes the Owner’s thread', eve.deleteComment(ownerThread), 'FORBIDDEN');
    await attempt('Commenter deletes their own reply', cat.deleteComment(commenterReply), 'ok');
    await attempt('Commenter deletes their own thread, which has the Editor’s reply', cat.deleteComment(commenterThread), 'FORBIDDEN');
    await attempt('Editor deletes their own thread', eve.deleteComment(editorThread), 'ok');
    await attempt('Admin deletes the Commenter’s thread', ada.deleteComment(commenterThread), 'ok');
    // Twice: through the CLI a deletion leaves with its author's `hearth sync`, after the first people synced already.
    await syncAll();
    await syncAll();

    for (const person of people) log[`${person.name} sees`] = sorted(await person.threads(doc));
    // A deletion reaches everyone (the relay and every member), and what was refused changed nothing anywhere.
    for (const person of people) {
      expect(
        (log[`${person.name} sees`] as Thread[]).map((t) => t.texts),
        person.name,
      ).toEqual([['Owner’s thread']]);
    }
    return log;
  }),
);
