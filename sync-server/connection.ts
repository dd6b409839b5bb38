/**
 * One client's WebSocket as the relay sees it: its session, what it follows, its rate buckets, and
 * the queue that keeps its requests in order.
 */
import type { WebSocket } from 'ws';
import type { RelayLimits } from './limits.ts';

/** A client that stopped reading is cut off once this much waits in its socket's buffer. */
const SLOW_CLIENT_BYTES = 64 * 1024 * 1024;

export class Connection {
  account: string | undefined;
  /** The device signed in, for an account with a device log (common/devices/log.ts). */
  device: string | undefined;
  sessionExpiresAt = 0;
  /** The protocol version its hello named; the relay sends it only frames that version knows. */
  protocol = 0;
  nonce: { value: string; expiresAt: number } | undefined;
  readonly subscriptions = new Set<string>();
  /** Documents this connection sent presence to (memory only), so their subscribers learn when it goes. */
  readonly presenceIn = new Set<string>();
  private presenceTokens: number | undefined;
  private presenceRefill = Date.now();
  private tokens: number;
  private lastRefill = Date.now();
  private strikes = 0;
  private chain: Promise<void> = Promise.resolve();
  queued = 0;

  constructor(
    readonly id: number,
    readonly socket: WebSocket,
    private readonly limits: RelayLimits,
  ) {
    this.tokens = limits.messageBurst;
  }

  /** Token bucket: true if this message is within the rate; counts strikes otherwise. */
  takeToken(): boolean {
    const now = Date.now();
    const refill = ((now - this.lastRefill) / 1000) * this.limits.messagesPerSecond;
    this.tokens = Math.min(this.limits.messageBurst, this.tokens + refill);
    // Strikes fade at the same rate: a client that backs off when told is never cut off, one
    // that keeps flooding piles them up far faster than they fade.
    this.strikes = Math.max(0, this.strikes - refill);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.strikes++;
    return false;
  }

  /** A second, smaller bucket for presence: cursors move often, and a burst of them is only noise. */
  takePresenceToken(): boolean {
    const now = Date.now();
    const burst = this.limits.presencePerSecond * 2;
    this.presenceTokens = Math.min(burst, (this.presenceTokens ?? burst) + ((now - this.presenceRefill) / 1000) * this.limits.presencePerSecond);
    this.presenceRefill = now;
    if (this.presenceTokens < 1) return false;
    this.presenceTokens -= 1;
    return true;
  }

  get abusive(): boolean {
    return this.strikes > this.limits.messageBurst;
  }

  /** Frames of one connection are handled in order, so a client's pushes keep their order. */
  enqueue(work: () => Promise<void>): void {
    this.queued++;
    // work() answers its own errors; the catch only keeps one failure from stalling the chain.
    this.chain = this.chain
      .then(work)
      .catch(() => undefined)
      .finally(() => {
        this.queued--;
      });
  }

  /** False until the client answers the latest ping. */
  alive = true;

  /** The socket is closing or closed: nothing more is sent, and nothing it started may outlive it. */
  get closed(): boolean {
    return this.socket.readyState === this.socket.CLOSING || this.socket.readyState === this.socket.CLOSED;
  }

  send(bytes: Uint8Array): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    // A client that stopped reading must not make the relay buffer without bound.
    if (this.socket.bufferedAmount > SLOW_CLIENT_BYTES) {
      this.socket.close(1013, 'not reading; reconnect and pull');
      return;
    }
    this.socket.send(bytes);
  }
}
