import type { Db, WebhookFormat, WebhookRow, WebhookState } from '@herald/db';
import { parseSecret, type SecretKeyring } from '@herald/signing';
import type { ChangeSubscription, WebhookChangeFeed } from '../shared/shared-state.js';

/** What a worker needs to match and deliver to a webhook. */
export interface DeliveryTarget {
  id: string;
  appId: string;
  url: string;
  format: WebhookFormat;
  headers: Readonly<Record<string, string>>;
  userAgent: string | null;
  state: WebhookState;
  eventTypes: readonly string[];
  rateLimitPerSecond: number | null;
  /** HMAC keys, newest first; the previous one only until its grace ends. */
  signingKeys: readonly Buffer[];
  /** The app's name, shown in Discord, Telegram and Slack messages. */
  appName: string;
}

interface Entry {
  loadedAt: number;
  /** Earliest moment an entry must be reloaded (a rotation grace ending). */
  staleAt: number;
  targets: DeliveryTarget[];
}

export interface WebhookCacheOptions {
  db: Db;
  keyring: SecretKeyring;
  /** Safety net if an invalidation message is lost (a Redis or Postgres restart). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Per-process cache of each app's live webhooks, with decrypted signing
 * keys. Entries drop on a webhook change message (any process that changes
 * a webhook announces one on the change feed), on TTL, and when a rotation
 * grace ends.
 */
export class WebhookCache {
  readonly #db: Db;
  readonly #keyring: SecretKeyring;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Entry>>();
  #generation = 0;

  constructor(options: WebhookCacheOptions) {
    this.#db = options.db;
    this.#keyring = options.keyring;
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  async forApp(appId: string): Promise<readonly DeliveryTarget[]> {
    const now = this.#now();
    const entry = this.#entries.get(appId);
    if (entry && now - entry.loadedAt < this.#ttlMs && now < entry.staleAt) return entry.targets;
    let loading = this.#loading.get(appId);
    if (!loading) {
      const started: Promise<Entry> = this.#load(appId).finally(() => {
        // An invalidation may have replaced it with a newer load meanwhile.
        if (this.#loading.get(appId) === started) this.#loading.delete(appId);
      });
      loading = started;
      this.#loading.set(appId, loading);
    }
    return (await loading).targets;
  }

  async get(appId: string, webhookId: string): Promise<DeliveryTarget | undefined> {
    return (await this.forApp(appId)).find((t) => t.id === webhookId);
  }

  invalidate(appId?: string): void {
    this.#generation++;
    // A load already running read the rows before the change: callers from
    // now on start a new one instead of sharing its answer.
    if (appId === undefined) {
      this.#entries.clear();
      this.#loading.clear();
    } else {
      this.#entries.delete(appId);
      this.#loading.delete(appId);
    }
  }

  /** Listens for invalidations (the feed holds its own connection until the subscription closes). */
  subscribe(feed: WebhookChangeFeed): Promise<ChangeSubscription> {
    return feed.subscribe((appId) => this.invalidate(appId));
  }

  async #load(appId: string): Promise<Entry> {
    const generation = this.#generation;
    const [rows, app] = await Promise.all([
      this.#db
        .selectFrom('webhooks')
        .selectAll()
        .where('app_id', '=', appId)
        .where('deleted_at', 'is', null)
        .orderBy('created_at')
        .execute(),
      this.#db.selectFrom('apps').select('name').where('id', '=', appId).executeTakeFirst(),
    ]);
    const appName = app?.name ?? '';
    const now = this.#now();
    let staleAt = Number.POSITIVE_INFINITY;
    const targets = rows.map((row) => {
      const target = this.#toTarget(row, now, appName);
      const expires = row.previous_secret_expires_at?.getTime();
      if (expires !== undefined && expires > now) staleAt = Math.min(staleAt, expires);
      return target;
    });
    const entry = { loadedAt: now, staleAt, targets };
    // An invalidation that arrived while loading wins: don't cache stale rows.
    if (generation === this.#generation) this.#entries.set(appId, entry);
    return entry;
  }

  #toTarget(row: WebhookRow, now: number, appName: string): DeliveryTarget {
    const signingKeys = [parseSecret(this.#keyring.decrypt(row.secret_ciphertext))];
    if (
      row.previous_secret_ciphertext &&
      row.previous_secret_expires_at &&
      row.previous_secret_expires_at.getTime() > now
    ) {
      signingKeys.push(parseSecret(this.#keyring.decrypt(row.previous_secret_ciphertext)));
    }
    return {
      id: row.id,
      appId: row.app_id,
      url: row.url,
      format: row.format,
      headers: row.headers,
      userAgent: row.user_agent,
      state: row.state,
      eventTypes: row.event_types,
      rateLimitPerSecond: row.rate_limit_per_second,
      signingKeys,
      appName,
    };
  }
}
