/**
 * A new member joins a team workspace that already holds many documents: the time from
 * accepting the invitation to every document readable in the new member's vault (the relay's
 * snapshot or change log per document, verified, decrypted and persisted), beside the same
 * documents fetched through automerge-repo's sync server without encryption or storage.
 *
 *   npm run bench -- --only join       (HEARTH_PROFILE_JOIN=FILE writes a CPU profile of the last Hearth join)
 */
import * as A from '@automerge/automerge';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { loadSodium } from '../common/crypto/sodium.ts';
import { SyncEngine } from '../main/sync/engine.ts';
import { MIN_KDF_COST } from '../main/vault/keys.ts';
import { Vault } from '../main/vault/vault.ts';
import { startRelay } from '../sync-server/relay.ts';
import { type BenchOptions, type SectionPlan } from './harness.ts';

/** How many team workspaces the linked-device join spreads its documents over. */
const LINKED_WORKSPACES = 10;

/** Edits per document after its first paragraph, typed in a few sittings (each one sync round). */
const EDITS = 40;
const SITTINGS = 4;

function paragraph(doc: number): string {
  return `Document ${doc}: notes on the quarterly plan, the people involved and the open questions. `.repeat(6);
}

function edit(doc: number, i: number): string {
  return ` [${doc}.${i}]`;
}

interface JoinResult {
  ms: number;
  bytes: number;
  documents: number;
}

async function hearthJoin(documents: number, root: string): Promise<JoinResult & { snapshotted: boolean }> {
  await loadSodium();
  const relay = await startRelay({ port: 0, dataDir: join(root, 'relay'), log: () => {} });
  try {
    const make = async (name: string) => {
      const vault = await Vault.create(join(root, name), {
        passphrase: 'bench passphrase',
        profile: { username: `${name}-${process.pid}`, displayName: name },
        kdfCost: MIN_KDF_COST,
      });
      // A snapshot once a document has a few relay changes, so the joiner gets "snapshot plus tail".
      const engine = new SyncEngine(vault, { snapshotEvery: SITTINGS - 1 });
      await engine.register(relay.url);
      return { vault, engine };
    };
    const owner = await make('owner');
    const joiner = await make('joiner');
    const workspace = await owner.engine.createTeamWorkspace('Join bench', relay.url);
    const ids: string[] = [];
    for (let d = 0; d < documents; d++) {
      const id = owner.vault.documents.create(workspace.id, { title: `Document ${d}` }).id;
      owner.vault.documents.change(id, (doc) => A.splice(doc, ['body'], 0, 0, paragraph(d)));
      ids.push(id);
    }
    for (let sitting = 0; sitting < SITTINGS; sitting++) {
      ids.forEach((id, d) => {
        for (let i = sitting * (EDITS / SITTINGS); i < (sitting + 1) * (EDITS / SITTINGS); i++)
          owner.vault.documents.change(id, (doc) => A.splice(doc, ['body'], doc.body.length, 0, edit(d, i)));
      });
      await owner.engine.syncOnce(workspace.id);
    }
    await owner.engine.invite(workspace.id, joiner.vault.profile.username, 'editor');
    await owner.engine.close();
    owner.vault.lock();

    const profiler = process.env.HEARTH_PROFILE_JOIN ? await startProfile() : undefined;
    const start = performance.now();
    await joiner.engine.acceptInvitation(workspace.id);
    const list = joiner.vault.documents.list(workspace.id);
    let bytes = 0;
    for (const summary of list) bytes += joiner.vault.documents.get(summary.id).body.length;
    const elapsed = performance.now() - start;
    await profiler?.();
    if (list.length !== documents) throw new Error(`joined with ${list.length} of ${documents} documents`);
    const snapshotted = joiner.vault.syncState.document(workspace.id, list[0]!.id)?.snapshotAt !== undefined;
    await joiner.engine.close();
    joiner.vault.lock();
    return { ms: elapsed, bytes, documents: list.length, snapshotted };
  } finally {
    await relay.close();
  }
}

/**
 * A newly linked device of the owner's account: the owner holds `workspaces` team workspaces with
 * `documents` documents in total; a new vault links through the relay (offer, answer, code,
 * approval) and, with an engine opened for the account, joins them all. Timed from the approval
 * (the person typed the code) to every document readable on the new device.
 */
async function hearthLinkedJoin(documents: number, workspaces: number, root: string): Promise<JoinResult> {
  await loadSodium();
  const relay = await startRelay({ port: 0, dataDir: join(root, 'relay'), log: () => {} });
  try {
    const vaultAt = (name: string) =>
      Vault.create(join(root, name), {
        passphrase: 'bench passphrase',
        profile: { username: `${name}-${process.pid}`, displayName: name },
        kdfCost: MIN_KDF_COST,
      });
    const owner = await vaultAt('owner');
    const ownerEngine = new SyncEngine(owner, { snapshotEvery: SITTINGS - 1 });
    await ownerEngine.register(relay.url);
    const ids: Array<{ workspace: string; id: string }> = [];
    for (let w = 0; w < workspaces; w++) {
      const workspace = await ownerEngine.createTeamWorkspace(`Linked bench ${w}`, relay.url);
      for (let d = w; d < documents; d += workspaces) {
        const id = owner.documents.create(workspace.id, { title: `Document ${d}` }).id;
        owner.documents.change(id, (doc) => A.splice(doc, ['body'], 0, 0, paragraph(d)));
        ids.push({ workspace: workspace.id, id });
      }
    }
    for (let sitting = 0; sitting < SITTINGS; sitting++) {
      ids.forEach(({ id }, d) => {
        for (let i = sitting * (EDITS / SITTINGS); i < (sitting + 1) * (EDITS / SITTINGS); i++)
          owner.documents.change(id, (doc) => A.splice(doc, ['body'], doc.body.length, 0, edit(d, i)));
      });
      await ownerEngine.syncOnce();
    }
    const linked = await vaultAt('linked');
    let engine = new SyncEngine(linked);
    let shown!: (code: string) => void;
    const code = new Promise<string>((resolve) => (shown = resolve));
    const wait = { pollMs: 20, timeoutMs: 120_000 };
    const linking = engine.pairing.link(relay.url, owner.profile.username, shown, wait);
    const answered = await ownerEngine.pairing.answer(undefined, wait);
    if ((await code) !== answered.code) throw new Error('the two devices showed different codes');
    const start = performance.now();
    await ownerEngine.pairing.approve(answered.code);
    await linking;
    await engine.close();
    engine = new SyncEngine(linked);
    await engine.pairing.joinLinked();
    let bytes = 0;
    let readable = 0;
    for (const { id } of ids) {
      bytes += linked.documents.get(id).body.length;
      readable++;
    }
    const elapsed = performance.now() - start;
    if (readable !== documents) throw new Error(`the linked device reads ${readable} of ${documents} documents`);
    await engine.close();
    await ownerEngine.close();
    linked.lock();
    owner.lock();
    return { ms: elapsed, bytes, documents: readable };
  } finally {
    await relay.close();
  }
}

/** HEARTH_PROFILE_JOIN=FILE writes a CPU profile of Hearth's join alone (open it in Chrome's DevTools). */
async function startProfile(): Promise<() => Promise<void>> {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(process.env.HEARTH_PROFILE_JOIN!, JSON.stringify(profile));
    session.disconnect();
  };
}

type RepoDoc = { title: string; body: string };

async function automergeRepoJoin(documents: number): Promise<JoinResult> {
  const { Repo } = await import('@automerge/automerge-repo');
  const { WebSocketClientAdapter, WebSocketServerAdapter } = await import('@automerge/automerge-repo-network-websocket');
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  const serverRepo = new Repo({ network: [new WebSocketServerAdapter(wss as never)], peerId: 'join-bench-server' as never, sharePolicy: async () => false });
  server.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const owner = new Repo({ network: [new WebSocketClientAdapter(url)] });
    const urls: string[] = [];
    const heads: string[] = [];
    const handles = Array.from({ length: documents }, (_, d) => {
      const handle = owner.create<RepoDoc>({ title: `Document ${d}`, body: '' });
      handle.change((doc) => A.splice(doc, ['body'], 0, 0, paragraph(d)));
      return handle;
    });
    // The same edits in the same order as Hearth's sittings.
    for (let sitting = 0; sitting < SITTINGS; sitting++) {
      handles.forEach((handle, d) => {
        for (let i = sitting * (EDITS / SITTINGS); i < (sitting + 1) * (EDITS / SITTINGS); i++)
          handle.change((doc) => A.splice(doc, ['body'], doc.body.length, 0, edit(d, i)));
      });
    }
    for (const handle of handles) {
      urls.push(handle.url);
      heads.push(A.getHeads(handle.doc()).join());
    }
    // Wait until the server holds every document at the owner's heads, then let the owner go.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const held = urls.filter((u, i) => {
        const handle = serverRepo.handles[u.replace('automerge:', '') as never] as { isReady(): boolean; doc(): A.Doc<RepoDoc> } | undefined;
        return handle?.isReady() && A.getHeads(handle.doc()).join() === heads[i];
      }).length;
      if (held === documents) break;
      if (Date.now() > deadline) throw new Error(`the sync server holds ${held} of ${documents} documents after 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    owner.shutdown();

    const joiner = new Repo({ network: [new WebSocketClientAdapter(url)] });
    // Connected first, as Hearth's joiner is (it signed in when it registered).
    await joiner.networkSubsystem.whenReady();
    const start = performance.now();
    const found = await Promise.all(urls.map((u) => joiner.find<RepoDoc>(u as never)));
    let bytes = 0;
    for (const handle of found) bytes += handle.doc().body.length;
    const elapsed = performance.now() - start;
    joiner.shutdown();
    return { ms: elapsed, bytes, documents: found.length };
  } finally {
    wss.close();
    server.close();
  }
}

export async function joinPlans(options: BenchOptions): Promise<SectionPlan[]> {
  const documents = options.quick ? 50 : 1000;
  let snapshotted = true;
  let bytes = 0;
  return [
    {
      title: 'Sync: a new member joins a workspace',
      peer: "automerge-repo's sync server (no encryption, no storage), same documents, same machine",
      contenders: {
        async hearth() {
          const root = mkdtempSync(join(tmpdir(), 'hearth-bench-join-'));
          try {
            const result = await hearthJoin(documents, root);
            snapshotted &&= result.snapshotted;
            bytes = result.bytes;
            return { ms: result.ms, bytes: result.bytes };
          } finally {
            rmSync(root, { recursive: true, force: true });
          }
        },
        async automergeRepo() {
          const result = await automergeRepoJoin(documents);
          return { ms: result.ms, bytes: result.bytes };
        },
      },
      rows: [
        {
          name: `accept → ${documents} documents readable (${EDITS + 1} changes each)`,
          hearth: { contender: 'hearth', metric: 'ms', unit: 'ms' },
          peer: { contender: 'automergeRepo', metric: 'ms', unit: 'ms' },
        },
      ],
      notes: (trials) => {
        const same = trials['hearth']!.every((t, i) => t['bytes'] === trials['automergeRepo']![i]?.['bytes']);
        return [
          `Hearth: the new member fetches the workspace index, then per document the relay's encrypted snapshot${snapshotted ? '' : ' (none was taken in some run)'} and the tail after it, verifies each signature against the membership log, decrypts, and persists each document sealed in its vault (SQLite). automerge-repo: the joiner finds every document by URL from a server that holds them in memory; nothing is verified, encrypted or stored.`,
          same
            ? `Both joins read the same ${(bytes / 1024).toFixed(0)} KiB of text in every run.`
            : '**The two joins read different text in some run; the figures do not compare.**',
        ];
      },
    },
    {
      title: 'Sync: a newly linked device joins every workspace of the account',
      peer: 'none run (the row above is a new member joining one workspace with as many documents)',
      contenders: {
        async hearth() {
          const root = mkdtempSync(join(tmpdir(), 'hearth-bench-linked-'));
          try {
            const result = await hearthLinkedJoin(documents, LINKED_WORKSPACES, root);
            return { ms: result.ms, bytes: result.bytes };
          } finally {
            rmSync(root, { recursive: true, force: true });
          }
        },
      },
      rows: [
        {
          name: `approve → ${documents} documents in ${LINKED_WORKSPACES} workspaces readable on the new device`,
          hearth: { contender: 'hearth', metric: 'ms', unit: 'ms' },
        },
      ],
      notes: [
        'Hearth: the approving device certifies the new one in the device log and sends the account sealed to it; the new device checks it, becomes the account, and an engine opened for it joins each team workspace with the keys it was sent (index, then per document the encrypted snapshot and tail, verified, decrypted, persisted).',
      ],
    },
  ];
}
