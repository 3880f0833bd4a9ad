/**
 * What Herald's processes share outside Postgres rows and queue jobs: the
 * endpoint gate (breaker, 429 pause, rate limit), the webhook change feed
 * (cache invalidation) and request limits. One implementation each on Redis
 * (Lua scripts, pub/sub) and on Postgres (one statement or function per
 * operation on UNLOGGED tables, LISTEN/NOTIFY), chosen with the queue backend.
 */
export interface SharedState {
  readonly kind: 'redis' | 'postgres';
  readonly gate: GateStore;
  readonly webhookChanges: WebhookChangeFeed;
  readonly limits: LimitStore;
}

/** Everything the workers share about one webhook's endpoint (times in ms since the epoch). */
export interface GateState {
  /** Consecutive failed attempts (429s excluded). */
  failures: number;
  /** The circuit is open until then (0: closed). */
  openUntil: number;
  /** When the half-open probe was let through (0: none). */
  probe: number;
  /** GCRA "theoretical arrival time" of the rate limit (0: none yet). */
  tat: number;
  /** Set by a 429's Retry-After (0: none). */
  pauseUntil: number;
}

export interface GateAdmitInput {
  now: number;
  /** Rate limit: ms between deliveries (0: no limit). */
  intervalMs: number;
  /** Rate limit burst: how far ahead of schedule a delivery may go. */
  toleranceMs: number;
  /** How long one half-open probe may take before another is allowed. */
  probeMs: number;
}

/** `until` 0 = admitted; else reason 1 paused, 2 circuit open, 3 rate limited. */
export interface GateAdmitResult {
  until: number;
  failures: number;
  reason: 0 | 1 | 2 | 3;
}

/** The endpoint gate's state, atomic per operation across every worker. */
export interface GateStore {
  admit(webhookId: string, input: GateAdmitInput): Promise<GateAdmitResult>;
  /** Counts a failure; at `threshold` (> 0) opens the circuit until `now + openMs`. Returns the count. */
  recordFailure(webhookId: string, now: number, threshold: number, openMs: number): Promise<number>;
  /** Closes the circuit and clears the failure count. */
  recordSuccess(webhookId: string): Promise<void>;
  /** Holds deliveries until `untilMs` (never shortens a longer pause). */
  pause(webhookId: string, untilMs: number): Promise<void>;
  /** Forgets the webhook (it was deleted). */
  clear(webhookId: string): Promise<void>;
  /** The stored state, undefined when there is none (for tests and diagnostics). */
  inspect(webhookId: string): Promise<GateState | undefined>;
}

export interface ChangeSubscription {
  close(): Promise<void>;
}

/** "The webhooks of this app changed": every process drops its cached copy. */
export interface WebhookChangeFeed {
  notify(appId: string): Promise<void>;
  /**
   * Calls `onChange(appId)` for each change any process announces, and
   * `onChange(undefined)` when messages may have been missed (a reconnect).
   */
  subscribe(onChange: (appId: string | undefined) => void): Promise<ChangeSubscription>;
}

/** Request limits shared by every admin process, on the store's own clock. */
export interface LimitStore {
  /** GCRA on `key`: 0 when admitted (and counted), else ms until a request would be. */
  admitRate(key: string, intervalMs: number, toleranceMs: number): Promise<number>;
  /** Fixed window: counts one hit; returns the hits in the window and ms until it ends. */
  countHit(key: string, windowMs: number): Promise<{ count: number; ttlMs: number }>;
  clearHits(key: string): Promise<void>;
}
