/**
 * "Your data" for the app: export, import, backup, restore, wipe, account deletion, the privacy
 * dashboard and the audit export, over one Session. Long work reports `progress` events to the
 * pages; one such task runs at a time. Paths: see data-folder.ts.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiEvents, ApiResults, ImportResult, PrivacyMember, PrivacyReport, Profile } from '../../common/api/contract.ts';
import { HearthError, isHearthError } from '../../common/errors.ts';
import { createBackup } from '../portability/backup.ts';
import { exportVault } from '../portability/export.ts';
import { importPath } from '../portability/import.ts';
import type { SyncEngine } from '../sync/engine.ts';
import { accessReports, RELAY_ANSWER_MS, withTimeout } from '../usecases/account.ts';
import type { Vault } from '../vault/vault.ts';
import { freshPath, listDataFolder, resolveDataPath, stamp } from './data-folder.ts';
import type { SecondFactorProof } from '../vault/second-factor.ts';
import type { Session } from './session.ts';

type Task = ApiEvents['progress']['task'];

const MIN_BACKUP_PASSPHRASE = 8;

const running = new WeakMap<Session, Task>();

const taskNames: Record<Task, string> = { export: 'An export', import: 'An import', backup: 'A backup', restore: 'A restore' };

/** Runs one long task per session, with progress events: a start, each whole percent or phase change, and the end. */
async function task<T>(session: Session, name: Task, run: (progress: (p: { phase: string; done: number; total: number }) => void) => Promise<T>): Promise<T> {
  const busy = running.get(session);
  if (busy) throw new HearthError('CONFLICT', `${taskNames[busy]} is running; wait for it to finish, then try again.`);
  running.set(session, name);
  let last = '';
  const progress = (p: { phase: string; done: number; total: number }) => {
    const step = `${p.phase}:${p.total > 0 ? Math.floor((p.done * 100) / p.total) : 0}`;
    if (step === last) return;
    last = step;
    session.emit('progress', { task: name, phase: p.phase, done: p.done, total: p.total });
  };
  progress({ phase: 'starting', done: 0, total: 0 });
  try {
    return await run(progress);
  } finally {
    running.delete(session);
  }
}

function workspaceIdOf(session: Session, id: string): string {
  const workspace = session
    .requireVault()
    .workspaces.list()
    .find((w) => w.id === id);
  if (!workspace) throw new HearthError('NOT_FOUND', `No workspace ${id}. It may have been deleted; pick one from the list.`);
  return workspace.id;
}

export function dataFolder(session: Session): ApiResults['dataFolder'] {
  return { dir: session.dataDir, items: listDataFolder(session.dataDir) };
}

export async function exportData(
  session: Session,
  input: { workspaceId?: string | undefined; format: 'folder' | 'zip'; history?: 'full' | 'none' | undefined },
): Promise<ApiResults['exportData']> {
  const vault = session.requireVault();
  const workspace = input.workspaceId === undefined ? undefined : workspaceIdOf(session, input.workspaceId);
  return task(session, 'export', async (progress) => {
    mkdirSync(session.dataDir, { recursive: true });
    const path = freshPath(session.dataDir, `hearth-export-${stamp()}`, input.format === 'zip' ? '.zip' : '');
    const manifest = await exportVault(vault, path, { ...(workspace ? { workspace } : {}), history: input.history ?? 'full', onProgress: progress });
    return { path, counts: manifest.counts };
  });
}

export async function importData(session: Session, input: { path: string }): Promise<ImportResult> {
  const vault = session.requireVault();
  const path = resolveDataPath(session.dataDir, input.path);
  return task(session, 'import', (progress) => importPath(vault, path, { onProgress: progress }));
}

export async function backup(session: Session, input: { passphrase: string }): Promise<ApiResults['backup']> {
  const vault = session.requireVault();
  if (input.passphrase.length < MIN_BACKUP_PASSPHRASE) {
    throw new HearthError('BAD_REQUEST', `Choose a backup passphrase of at least ${MIN_BACKUP_PASSPHRASE} characters; nothing was written.`);
  }
  return task(session, 'backup', async (progress) => {
    mkdirSync(session.dataDir, { recursive: true });
    const path = freshPath(session.dataDir, `hearth-backup-${stamp()}`, '.hearthbackup');
    await createBackup(vault, path, input.passphrase, (p) => progress({ phase: 'encrypting', ...p }));
    return { path, bytes: statSync(path).size };
  });
}

export async function restore(session: Session, input: { path: string; passphrase: string; newPassphrase?: string | undefined }): Promise<Profile> {
  if (session.state !== 'no-vault') {
    throw new HearthError(
      'VAULT_EXISTS',
      'This device already has a vault, and a restore never overwrites it. Choose: restore it beside this one (Settings → Your data → Restore beside this vault: a second vault, opened by starting Hearth with --vault), or wipe this device first (Settings → Danger Zone) and choose “Restore from a backup” on the welcome screen.',
    );
  }
  const path = resolveDataPath(session.dataDir, input.path);
  return task(session, 'restore', (progress) =>
    session.restoreBackup(path, input.passphrase, input.newPassphrase, (p) => progress({ phase: 'decrypting', ...p })),
  );
}

/** With a vault on this device: restores the backup as a second vault in a new folder next to it; this one stays as it is. */
export async function restoreBeside(
  session: Session,
  input: { path: string; passphrase: string; newPassphrase?: string | undefined },
): Promise<ApiResults['restoreBeside']> {
  if (session.state === 'no-vault')
    throw new HearthError('VAULT_NOT_FOUND', 'This device has no vault yet: choose “Restore from a backup” on the welcome screen instead.');
  const path = resolveDataPath(session.dataDir, input.path);
  return task(session, 'restore', (progress) =>
    session.restoreBackupBeside(path, input.passphrase, input.newPassphrase, (p) => progress({ phase: 'decrypting', ...p })),
  );
}

export async function wipeDevice(session: Session, confirmUsername: string, eraseCopies: readonly string[] = []): Promise<ApiResults['wipeDevice']> {
  if (running.get(session)) throw new HearthError('CONFLICT', `${taskNames[running.get(session)!]} is running; wait for it to finish before wiping.`);
  return { copiesLeft: await session.wipe(confirmUsername, 'wipe', eraseCopies) };
}

/**
 * Account deletion (Session.deleteAccount): the exact username check, the deletion on every relay
 * this vault is registered on, then the wipe. A relay that cannot be reached refuses it all,
 * unless it is one of `skipRelays`, which the person named as gone for good.
 */
export async function deleteAccount(
  session: Session,
  confirmUsername: string,
  options: { skipRelays?: string[] | undefined; secondFactor?: SecondFactorProof | undefined; eraseCopies?: string[] | undefined } = {},
): Promise<ApiResults['deleteAccount']> {
  session.checkUsername(confirmUsername);
  if (running.get(session)) throw new HearthError('CONFLICT', `${taskNames[running.get(session)!]} is running; wait for it to finish first.`);
  return session.deleteAccount(confirmUsername, options.skipRelays ? { skipRelays: options.skipRelays } : {}, options.secondFactor, options.eraseCopies);
}

export function exportAuditLog(session: Session, input: { actions?: string[] | undefined }): ApiResults['exportAuditLog'] {
  const vault = session.requireVault();
  const wanted = input.actions && input.actions.length > 0 ? new Set(input.actions) : undefined;
  const entries = vault.audit
    .list()
    .filter((e) => !wanted || wanted.has(e.action))
    .map((e) => ({ at: new Date(e.at).toISOString(), actor: e.actor, action: e.action, ...(e.target === undefined ? {} : { target: e.target }) }));
  mkdirSync(session.dataDir, { recursive: true });
  const path = freshPath(session.dataDir, `hearth-audit-${stamp()}`, '.json');
  writeFileSync(path, `${JSON.stringify({ exportedAt: new Date().toISOString(), filter: wanted ? [...wanted] : 'all', entries }, null, 2)}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  vault.audit.record('copy.written', path);
  return { path, entries: entries.length };
}

function problemOf(error: unknown): string {
  if (isHearthError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}

function dirBytes(dir: string): number {
  try {
    return readdirSync(dir).reduce((n, name) => {
      const stat = statSync(join(dir, name), { throwIfNoEntry: false });
      return n + (stat?.isFile() ? stat.size : 0);
    }, 0);
  } catch {
    return 0;
  }
}

/**
 * A workspace's "Keep edit history" setting, whether this person may change it, and about how
 * many of its stored document bytes are history: all of them but what its texts take.
 */
function retentionOf(
  vault: Vault,
  engine: SyncEngine | undefined,
  workspaceId: string,
  documentBytes: number,
): Pick<PrivacyReport['device']['workspaces'][number], 'retention' | 'canChangeRetention' | 'historyBytes'> {
  const textBytes = vault.documents
    .list(workspaceId)
    .reduce((n, d) => n + (safe(() => Buffer.byteLength(vault.documents.get(d.id).body ?? '') + Buffer.byteLength(d.title)) ?? 0), 0);
  const retention = (engine && safe(() => engine.generations.retention(workspaceId))) ?? vault.workspaces.get(workspaceId).retention ?? 'forever';
  const canChangeRetention =
    !engine ||
    safe(() => {
      engine.assertCan(workspaceId, 'delete');
      return true;
    }) === true;
  return { retention, canChangeRetention, historyBytes: Math.max(0, documentBytes - textBytes) };
}

/** The privacy dashboard: this device, each relay's right-of-access answer, who sees what, links. */
export async function privacyReport(session: Session): Promise<PrivacyReport> {
  const vault = session.requireVault();
  const engine: SyncEngine | undefined = session.sync;
  const profile = vault.profile;
  const workspaces = vault.workspaces.list();
  const use = new Map(vault.storageUse().map((u) => [u.workspaceId, u]));
  const statuses = new Map((engine ? (safe(() => engine.status()) ?? []) : []).map((s) => [s.workspaceId, s]));

  const device: PrivacyReport['device'] = {
    vaultDir: session.vaultDir,
    vaultBytes: dirBytes(session.vaultDir),
    dataDir: session.dataDir,
    workspaces: workspaces.map((w) => {
      const u = use.get(w.id);
      const status = statuses.get(w.id);
      return {
        id: w.id,
        name: w.name,
        kind: w.kind,
        documents: u?.documents ?? 0,
        documentBytes: u?.documentBytes ?? 0,
        files: u?.files ?? 0,
        fileBytes: u?.fileBytes ?? 0,
        ...(w.relay ? { relay: w.relay } : {}),
        ...retentionOf(vault, engine, w.id, u?.documentBytes ?? 0),
        ...(status ? { sync: { state: status.state, paused: status.state === 'paused', pending: status.pending } } : {}),
      };
    }),
  };

  const titles = spaceNames(vault);
  const answers = new Map(engine ? (await accessReports({ vault, engine })).map((a) => [a.relay, a]) : []);
  const relays = vault.syncState.relays().map((relay): PrivacyReport['relays'][number] => {
    const contacts = [relay.registeredAt ?? 0, ...[...statuses.values()].filter((s) => s.relay === relay.url).map((s) => s.lastSyncedAt ?? 0)];
    const base = { url: relay.url, ...(relay.account ? { account: relay.account } : {}), ...(relay.registeredAt ? { registeredAt: relay.registeredAt } : {}) };
    const lastContact = (extra = 0) => {
      const at = Math.max(extra, ...contacts);
      return at > 0 ? { lastContactAt: at } : {};
    };
    if (!relay.account) return { ...base, ...lastContact(), problem: 'No account here yet: this relay holds nothing about you.' };
    const report = answers.get(relay.url)?.report;
    if (!report)
      return {
        ...base,
        ...lastContact(),
        problem: `Not connected: ${answers.get(relay.url)?.problem?.message ?? 'team sync is not running, so the relay was not asked.'}`,
      };
    return {
      ...base,
      ...lastContact(report.lastSignInAt ?? 0),
      holds: {
        username: report.username,
        displayName: report.displayName,
        createdAt: report.createdAt,
        lastSignInAt: report.lastSignInAt,
        bytesStored: report.bytesStored,
        avatarBytes: report.avatarBytes,
        spaces: report.spaces.map((s) => ({ ...s, ...(titles.has(s.space) ? { name: titles.get(s.space)!.name } : {}) })),
        keyEnvelopes: report.envelopes.length,
        links: report.links.filter((l) => !l.revoked).length,
        ...(report.logs ? { logs: report.logs } : {}),
      },
    };
  });

  const me: PrivacyMember = { username: profile.username, displayName: profile.displayName, role: 'owner', isMe: true };
  const access = await Promise.all(
    workspaces.map(async (w): Promise<PrivacyReport['access'][number]> => {
      const base = { workspaceId: w.id, name: w.name, kind: w.kind };
      if (w.kind === 'personal') return { ...base, members: [me] };
      if (!engine) return { ...base, members: [], problem: 'Not connected: team sync is not running.' };
      try {
        const members = await withTimeout(engine.members(w.id), RELAY_ANSWER_MS, w.relay ?? 'The relay');
        return { ...base, members: members.map(memberView) };
      } catch (error) {
        return { ...base, members: [], problem: problemOf(error) };
      }
    }),
  );

  const sharedDocuments: PrivacyReport['sharedDocuments'] = [];
  for (const spaceId of vault.syncState.spaceIds()) {
    const share = safe(() => vault.syncState.space(spaceId)?.share);
    if (!share) continue;
    const title = safe(() => vault.documents.summary(share.document).title) ?? share.document;
    const base = { documentId: share.document, title, received: share.received };
    if (!engine) {
      sharedDocuments.push({ ...base, members: [], problem: 'Not connected: team sync is not running.' });
      continue;
    }
    try {
      const members = await withTimeout(engine.documentShares(share.document), RELAY_ANSWER_MS, 'The relay');
      sharedDocuments.push({ ...base, members: members.map(memberView) });
    } catch (error) {
      sharedDocuments.push({ ...base, members: [], problem: problemOf(error) });
    }
  }

  let links: PrivacyReport['links'] = null;
  if (engine && typeof engine.listLinks === 'function') {
    try {
      links = (await engine.listLinks()).map((l) => ({
        id: l.id,
        documentId: l.documentId,
        title: l.title,
        url: l.url,
        createdAt: l.createdAt,
        expiresAt: l.expiresAt,
      }));
    } catch {
      links = null;
    }
  }

  return { device, syncAvailable: engine !== undefined, relays, access, sharedDocuments, links };
}

/**
 * What each space on this device is called: a workspace by its name, the space of a document
 * shared on its own by the document's title (never by its id).
 */
export function spaceNames(vault: Vault): Map<string, { name: string; document: boolean }> {
  const names = new Map<string, { name: string; document: boolean }>();
  for (const w of vault.workspaces.list()) names.set(w.id, { name: w.name, document: false });
  for (const spaceId of vault.syncState.spaceIds()) {
    const share = safe(() => vault.syncState.space(spaceId)?.share);
    const title = share ? safe(() => vault.documents.summary(share.document).title) : undefined;
    if (title !== undefined) names.set(spaceId, { name: title || 'Untitled', document: true });
  }
  return names;
}

function memberView(m: { account: string; username?: string; displayName?: string; role: string; isMe: boolean }): PrivacyMember {
  return { username: m.username ?? m.account, ...(m.displayName ? { displayName: m.displayName } : {}), role: m.role, isMe: m.isMe };
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
