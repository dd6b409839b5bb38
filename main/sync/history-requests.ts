/**
 * Asking members for history, through the space's encrypted index: a device holding changes that
 * build on history it lacks (the relay refused or lost a change) writes which changes it lacks
 * into the index (`wanted`: document → account → Automerge change hashes); a member that has them
 * sends them again as an ordinary change of that document, signed by itself and checked like any
 * other; once nothing waits, the device clears what it asked. The relay sees an index change and
 * a document change, as for any edit. Only a role that may write can ask or answer (the index and
 * the document's changes are written content).
 */
import * as A from '@automerge/automerge';
import { canWriteContent } from '../../common/roles.ts';
import type { Vault } from '../vault/vault.ts';
import type { Inbound } from './inbound.ts';
import { encodeChanges } from './payload.ts';
import type { SpaceRegistry } from './spaces.ts';

export interface HistoryRequestsHost {
  readonly vault: Pick<Vault, 'documents' | 'syncState'>;
  readonly account: string;
  readonly spaces: Pick<SpaceRegistry, 'view' | 'index' | 'changeIndex' | 'indexedDocs'>;
  readonly inbound: Pick<Inbound, 'waitingDocuments' | 'missingHistory'>;
}

/** Changes in an order that applies: each after the ones among them it depends on. */
function causalOrder(changes: Array<{ hash: string; deps: string[]; bytes: Uint8Array }>): Uint8Array[] {
  const pending = new Map(changes.map((c) => [c.hash, c]));
  const ordered: Uint8Array[] = [];
  const visit = (hash: string) => {
    const change = pending.get(hash);
    if (!change) return;
    pending.delete(hash);
    for (const dep of change.deps) visit(dep);
    ordered.push(change.bytes);
  };
  for (const { hash } of changes) visit(hash);
  return ordered;
}

export class HistoryRequests {
  /** Hashes this engine looked for already (`space/document/hash`): sent once, or not here. */
  private readonly looked = new Set<string>();

  constructor(private readonly host: HistoryRequestsHost) {}

  private maySend(spaceId: string): boolean {
    const role = this.host.spaces.view(spaceId).role(this.host.account);
    return role !== undefined && canWriteContent(role);
  }

  /** Writes into the index what this vault lacks, per document, and clears what it no longer does. */
  ask(spaceId: string): void {
    const { spaces, inbound, account } = this.host;
    if (!this.maySend(spaceId)) return;
    const asked = spaces.index(spaceId).wanted ?? {};
    const lacking = new Map(inbound.waitingDocuments(spaceId).map((documentId) => [documentId, inbound.missingHistory(spaceId, documentId)]));
    for (const documentId of new Set([...Object.keys(asked), ...lacking.keys()])) {
      const want = lacking.get(documentId) ?? [];
      const before = asked[documentId]?.[account] ?? [];
      if (want.join() === before.join()) continue;
      spaces.changeIndex(spaceId, (d) => {
        if (!d.wanted) d.wanted = {};
        if (want.length > 0) {
          if (!d.wanted[documentId]) d.wanted[documentId] = {};
          d.wanted[documentId][account] = want;
          return;
        }
        delete d.wanted[documentId]?.[account];
        if (d.wanted[documentId] && Object.keys(d.wanted[documentId]).length === 0) delete d.wanted[documentId];
      });
    }
  }

  /** Queues, for the space's outbox, the changes others asked for that this vault has; how many. */
  answer(spaceId: string): number {
    const { spaces, vault, account } = this.host;
    const wanted = spaces.index(spaceId).wanted ?? {};
    if (Object.keys(wanted).length === 0 || !this.maySend(spaceId)) return 0;
    const carried = new Set(spaces.indexedDocs(spaceId));
    let sent = 0;
    for (const [documentId, byAccount] of Object.entries(wanted)) {
      if (!carried.has(documentId) || !vault.documents.has(documentId)) continue;
      const hashes = new Set(Object.entries(byAccount).flatMap(([asker, list]) => (asker === account ? [] : list)));
      const fresh = [...hashes].filter((hash) => !this.looked.has(`${spaceId}/${documentId}/${hash}`));
      if (fresh.length === 0) continue;
      for (const hash of fresh) this.looked.add(`${spaceId}/${documentId}/${hash}`);
      const found = A.getAllChanges(vault.documents.get(documentId))
        .map((bytes) => ({ bytes, decoded: A.decodeChange(bytes) }))
        .filter(({ decoded }) => fresh.includes(decoded.hash!))
        .map(({ bytes, decoded }) => ({ hash: decoded.hash!, deps: decoded.deps, bytes }));
      if (found.length === 0) continue;
      vault.syncState.enqueue(spaceId, { documentId, kind: 'content', payload: encodeChanges(causalOrder(found)) });
      sent += found.length;
    }
    return sent;
  }
}
