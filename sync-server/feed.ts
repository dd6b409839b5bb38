/**
 * The live feed of each followed document on this instance: who follows it, and the changes
 * they get, in sequence order and each once, only after the commit that holds them. Changes
 * arrive from this instance's pushes and from other instances' announcements (PostgreSQL); one
 * that arrives before its predecessor waits briefly for it, and what never arrives (an
 * announcement lost with a killed instance or a dropped listening connection) is read back from
 * the store: at once when a later change shows the gap, and by a periodic sweep otherwise.
 */
import { encodeChangeFrame } from '../common/protocol/messages.ts';
import type { Role } from '../common/roles.ts';
import type { Connection } from './connection.ts';
import type { RelayLog } from './relay-log.ts';
import type { RelayStorage } from './storage/relay-store.ts';

/** How long a change waits for the one before it before the feed reads the gap from the store. */
const GAP_WAIT_MS = 150;
const FILL_PAGE = 500;

interface Waiting {
  bytes: Uint8Array | undefined;
  except: Connection | undefined;
}

interface DocFeed {
  space: string;
  doc: string;
  followers: Set<Connection>;
  /** The highest sequence number its followers were sent (or had before they followed). */
  delivered: number;
  /** Until the first follower's baseline is read, arrivals only wait. */
  baseline: Promise<void> | undefined;
  waiting: Map<number, Waiting>;
  gapTimer: NodeJS.Timeout | undefined;
  /** The gap waited long enough: read it from the store. */
  gapExpired: boolean;
  draining: boolean;
  drainAgain: boolean;
}

export class DocumentFeeds {
  private readonly feeds = new Map<string, DocFeed>();

  constructor(
    private readonly store: RelayStorage,
    private readonly log: RelayLog,
    /** The space's members now: only they are sent its changes. */
    private readonly members: (space: string) => Promise<Map<string, Role>>,
  ) {}

  followers(space: string, doc: string): ReadonlySet<Connection> | undefined {
    return this.feeds.get(`${space}/${doc}`)?.followers;
  }

  /** All followed documents of a space, e.g. for a deleted space. */
  keysOf(space: string): string[] {
    return [...this.feeds.keys()].filter((key) => key.startsWith(`${space}/`));
  }

  /**
   * Adds a follower; resolves once the feed knows where the document stands, so that whatever
   * the follower pulls after this has either been committed already or will be sent to it.
   */
  async follow(connection: Connection, space: string, doc: string): Promise<void> {
    const key = `${space}/${doc}`;
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = {
        space,
        doc,
        followers: new Set(),
        delivered: 0,
        baseline: undefined,
        waiting: new Map(),
        gapTimer: undefined,
        gapExpired: false,
        draining: false,
        drainAgain: false,
      };
      this.feeds.set(key, feed);
      const created = feed;
      created.baseline = this.store.latestSeqs([{ space, doc }]).then(
        ([latest]) => {
          created.delivered = latest?.seq ?? 0;
          created.baseline = undefined;
          this.drain(created);
        },
        (error: unknown) => {
          if (this.feeds.get(key) === created) this.feeds.delete(key);
          throw error;
        },
      );
    }
    feed.followers.add(connection);
    await feed.baseline;
  }

  unfollow(connection: Connection, key: string): void {
    const feed = this.feeds.get(key);
    if (!feed) return;
    feed.followers.delete(connection);
    if (feed.followers.size === 0) this.drop(key);
  }

  drop(key: string): void {
    const feed = this.feeds.get(key);
    if (feed?.gapTimer) clearTimeout(feed.gapTimer);
    this.feeds.delete(key);
  }

  /** A committed change: `bytes` when known (else read from the store), `except` the connection that pushed it. */
  arrive(space: string, doc: string, seq: number, bytes: Uint8Array | undefined, except?: Connection): void {
    const feed = this.feeds.get(`${space}/${doc}`);
    if (!feed || (!feed.baseline && seq <= feed.delivered)) return;
    const known = feed.waiting.get(seq);
    if (!known?.bytes) feed.waiting.set(seq, { bytes, except: except ?? known?.except });
    if (!feed.baseline) this.drain(feed);
  }

  /** The document was deleted (its sequence starts over if it is written again). */
  reset(space: string, doc: string): void {
    const feed = this.feeds.get(`${space}/${doc}`);
    if (!feed || feed.baseline) return;
    feed.delivered = 0;
    feed.waiting.clear();
  }

  /**
   * The document's history was forgotten: its new generation's snapshot took sequence number
   * `seq`, which followers pull (they are told by a historyForgotten frame), never sent as a change.
   */
  passed(space: string, doc: string, seq: number): void {
    const feed = this.feeds.get(`${space}/${doc}`);
    if (!feed || feed.baseline) return;
    feed.delivered = Math.max(feed.delivered, seq);
    for (const waiting of feed.waiting.keys()) if (waiting <= seq) feed.waiting.delete(waiting);
  }

  /** Compares every followed document with the store and sends what this instance missed. */
  async sweep(): Promise<void> {
    const ready = [...this.feeds.values()].filter((feed) => !feed.baseline);
    if (ready.length === 0) return;
    const latest = await this.store.latestSeqs(ready.map(({ space, doc }) => ({ space, doc })));
    const found = new Map(latest.map((row) => [`${row.space}/${row.doc}`, row.seq]));
    for (const feed of ready) {
      if (this.feeds.get(`${feed.space}/${feed.doc}`) !== feed) continue;
      const seq = found.get(`${feed.space}/${feed.doc}`) ?? 0;
      if (seq < feed.delivered) this.reset(feed.space, feed.doc);
      else if (seq > feed.delivered && !feed.waiting.has(seq)) feed.waiting.set(seq, { bytes: undefined, except: undefined });
      this.drain(feed);
    }
  }

  /** Sends what is next in order; reads a gap from the store when it is not going to arrive. */
  private drain(feed: DocFeed): void {
    if (feed.draining) {
      feed.drainAgain = true;
      return;
    }
    feed.draining = true;
    void this.drainNow(feed)
      .catch((error: unknown) => this.log.write('error', 'fanout_failed', { message: (error as Error).message }))
      .finally(() => {
        feed.draining = false;
        if (feed.drainAgain) {
          feed.drainAgain = false;
          this.drain(feed);
        }
      });
  }

  private async drainNow(feed: DocFeed): Promise<void> {
    const roles = await this.members(feed.space);
    for (;;) {
      const next = feed.waiting.get(feed.delivered + 1);
      if (next?.bytes) {
        feed.waiting.delete(feed.delivered + 1);
        this.send(feed, roles, ++feed.delivered, next.bytes, next.except);
        continue;
      }
      for (const seq of feed.waiting.keys()) if (seq <= feed.delivered) feed.waiting.delete(seq);
      if (feed.waiting.size === 0) break;
      // A gap. Its change is usually on its way (a commit on another connection, an announcement
      // from another instance): wait a moment for it, unless nothing that waits brought its bytes.
      const mustRead = next !== undefined || feed.gapExpired || ![...feed.waiting.values()].some((w) => w.bytes);
      if (!mustRead) {
        feed.gapTimer ??= setTimeout(() => {
          feed.gapTimer = undefined;
          feed.gapExpired = true;
          this.drain(feed);
        }, GAP_WAIT_MS);
        break;
      }
      feed.gapExpired = false;
      await this.fill(feed);
      if (feed.waiting.size > 0) feed.drainAgain = true;
      break;
    }
  }

  /** Reads from the store what follows the last change delivered, up to the newest one waiting, and sends it. */
  private async fill(feed: DocFeed): Promise<void> {
    if (feed.gapTimer) clearTimeout(feed.gapTimer);
    feed.gapTimer = undefined;
    const target = Math.max(...feed.waiting.keys());
    while (feed.delivered < target && this.feeds.get(`${feed.space}/${feed.doc}`) === feed) {
      const page = await this.store.getChanges(feed.space, feed.doc, feed.delivered, FILL_PAGE);
      const roles = await this.members(feed.space);
      for (const change of page.changes) {
        if (change.seq <= feed.delivered) continue;
        this.send(feed, roles, change.seq, change.bytes, feed.waiting.get(change.seq)?.except);
        feed.delivered = change.seq;
      }
      if (page.changes.length < FILL_PAGE) break;
    }
    // What the store no longer has (a snapshot covers it, or the document was deleted) is not
    // sent; the followers see the jump in sequence numbers and pull.
    for (const seq of feed.waiting.keys()) if (seq <= target) feed.waiting.delete(seq);
    feed.delivered = Math.max(feed.delivered, target);
  }

  private send(feed: DocFeed, roles: Map<string, Role>, seq: number, bytes: Uint8Array, except: Connection | undefined): void {
    const frame = encodeChangeFrame(feed.space, feed.doc, seq, bytes);
    for (const connection of feed.followers) {
      if (connection === except || !connection.account || !roles.has(connection.account)) continue;
      connection.send(frame);
    }
  }
}
