/** Every limit the relay enforces, with its default; all are configurable. */
export interface RelayLimits {
  /** Largest WebSocket frame accepted; larger ones get an error frame (and beyond twice this, the socket closes). */
  maxFrameBytes: number;
  /** Sustained requests per second per connection (token bucket)… */
  messagesPerSecond: number;
  /** …and the burst above it. */
  messageBurst: number;
  connectionsPerAccount: number;
  maxConnections: number;
  bytesPerSpace: number;
  maxAvatarBytes: number;
  maxFileBytes: number;
  maxLinkBytes: number;
  maxChangeBytes: number;
  subscriptionsPerConnection: number;
  /** Largest presence payload forwarded… */
  maxPresenceBytes: number;
  /** …and how many presence updates per second one connection may send (the burst is twice that). */
  presencePerSecond: number;
}

export const defaultLimits: RelayLimits = {
  maxFrameBytes: 8 * 1024 * 1024,
  messagesPerSecond: 200,
  messageBurst: 1000,
  connectionsPerAccount: 32,
  maxConnections: 20_000,
  bytesPerSpace: 1024 * 1024 * 1024,
  maxAvatarBytes: 256 * 1024,
  maxFileBytes: 1024 * 1024 * 1024,
  maxLinkBytes: 4 * 1024 * 1024,
  maxChangeBytes: 4 * 1024 * 1024,
  subscriptionsPerConnection: 10_000,
  maxPresenceBytes: 1024,
  presencePerSecond: 20,
};
