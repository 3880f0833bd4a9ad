import type { PgPool, PgPoolClient } from '@herald/queue';
import type {
  ChangeSubscription,
  GateState,
  GateStore,
  LimitStore,
  SharedState,
  WebhookChangeFeed,
} from './shared-state.js';

// The tables and functions are in migrations 2026-11-27T12-00_shared-state and
// 2026-11-28T13-00_gate-expiry. Every operation is one statement (or one
// function call), so it is atomic under the row lock and costs one round trip,
// like the Redis scripts; a gate row unwritten for 24 hours is dropped before
// it is read, as the Redis hash expires.

/** NOTIFY channel of the webhook change feed (one database = one Herald). */
export const WEBHOOK_CHANGES_CHANNEL = 'herald_webhooks_changed';

const NOW_MS = `floor(extract(epoch from clock_timestamp()) * 1000)::bigint`;

interface GateRow {
  failures: number;
  open_until: string;
  probe: string;
  tat: number | null;
  pause_until: string;
}

function postgresGateStore(pool: PgPool): GateStore {
  return {
    async admit(webhookId, input) {
      const { rows } = await pool.query<{ until: number; failures: number; reason: 0 | 1 | 2 | 3 }>(
        'select until, failures, reason from herald_gate_admit($1, $2, $3, $4, $5)',
        [webhookId, Math.floor(input.now), input.intervalMs, input.toleranceMs, Math.ceil(input.probeMs)],
      );
      const row = rows[0]!;
      return { until: Number(row.until), failures: row.failures, reason: row.reason };
    },
    async recordFailure(webhookId, now, threshold, openMs) {
      const { rows } = await pool.query<{ failures: number }>(
        'select herald_gate_failure($1, $2, $3, $4) as failures',
        [webhookId, Math.floor(now), threshold, Math.ceil(openMs)],
      );
      return rows[0]!.failures;
    },
    async recordSuccess(webhookId) {
      await pool.query(
        'update endpoint_gates set failures = 0, open_until = 0, probe = 0 where webhook_id = $1',
        [webhookId],
      );
    },
    async pause(webhookId, untilMs) {
      await pool.query('select herald_gate_pause($1, $2, $3)', [webhookId, Math.ceil(untilMs), Date.now()]);
    },
    async clear(webhookId) {
      await pool.query('delete from endpoint_gates where webhook_id = $1', [webhookId]);
    },
    async inspect(webhookId): Promise<GateState | undefined> {
      const { rows } = await pool.query<GateRow>(
        'select failures, open_until, probe, tat, pause_until from endpoint_gates where webhook_id = $1',
        [webhookId],
      );
      const row = rows[0];
      if (!row) return undefined;
      return {
        failures: row.failures,
        openUntil: Number(row.open_until),
        probe: Number(row.probe),
        tat: row.tat ?? 0,
        pauseUntil: Number(row.pause_until),
      };
    },
  };
}

// Dead throttle rows (an attacker's many IP/email pairs) are swept now and
// then, in bounded batches, by whoever is counting.
const SWEEP_EVERY = 64;
const SWEEP_BATCH = 1_000;

function postgresLimitStore(pool: PgPool): LimitStore {
  let calls = 0;
  const sweep = (): void => {
    if (++calls % SWEEP_EVERY !== 0) return;
    pool
      .query(
        `delete from throttles where key in
           (select key from throttles where expires_at < ${NOW_MS} limit ${SWEEP_BATCH} for update skip locked)`,
      )
      .catch(() => undefined); // best effort: the next sweep tries again
  };
  return {
    async admitRate(key, intervalMs, toleranceMs) {
      const { rows } = await pool.query<{ wait: number }>('select herald_rate_admit($1, $2, $3) as wait', [
        key,
        intervalMs,
        toleranceMs,
      ]);
      return Number(rows[0]!.wait);
    },
    async countHit(key, windowMs) {
      sweep();
      // A row past its window starts a new one.
      const { rows } = await pool.query<{ count: number; ttl: string }>(
        `insert into throttles as t (key, value, expires_at)
         select $1, 1, n.now + $2::bigint from (select ${NOW_MS} as now) n
         on conflict (key) do update set
           value = case when t.expires_at <= excluded.expires_at - $2::bigint then 1 else t.value + 1 end,
           expires_at = case when t.expires_at <= excluded.expires_at - $2::bigint
                             then excluded.expires_at else t.expires_at end
         returning value as count, expires_at - ${NOW_MS} as ttl`,
        [key, Math.ceil(windowMs)],
      );
      const row = rows[0]!;
      return { count: Number(row.count), ttlMs: Number(row.ttl) };
    },
    async clearHits(key) {
      await pool.query('delete from throttles where key = $1', [key]);
    },
  };
}

const RELISTEN_MAX_MS = 5_000;

function postgresChangeFeed(pool: PgPool): WebhookChangeFeed {
  return {
    async notify(appId) {
      await pool.query('select pg_notify($1, $2)', [WEBHOOK_CHANGES_CHANNEL, appId]);
    },
    async subscribe(onChange): Promise<ChangeSubscription> {
      let client: PgPoolClient | undefined;
      let closed = false;
      let retryTimer: NodeJS.Timeout | undefined;
      const onNotification = (msg: { channel: string; payload?: string }): void => {
        if (msg.channel === WEBHOOK_CHANGES_CHANNEL && msg.payload) onChange(msg.payload);
      };
      // A LISTEN lives on one connection: when it drops, changes may have been
      // missed, so drop every cached entry and listen again on a new one.
      const listen = async (): Promise<void> => {
        const next = await pool.connect();
        next.on('notification', onNotification);
        next.on('error', () => {
          if (client !== next) return;
          client = undefined;
          next.removeAllListeners('notification');
          next.release(true);
          onChange(undefined);
          if (!closed) relisten(100);
        });
        try {
          await next.query(`listen ${WEBHOOK_CHANGES_CHANNEL}`);
        } catch (error) {
          next.removeAllListeners('notification');
          next.release(true);
          throw error;
        }
        if (closed) {
          // Closed while this (re)listen was connecting: nobody will release it later,
          // and a client kept out of the pool would hold pool.end() for ever.
          next.removeAllListeners('notification');
          await next.query(`unlisten ${WEBHOOK_CHANGES_CHANNEL}`).catch(() => undefined);
          next.release();
          return;
        }
        client = next;
      };
      const relisten = (delayMs: number): void => {
        retryTimer = setTimeout(() => {
          if (closed) return;
          listen().then(
            () => {
              if (!closed) onChange(undefined);
            },
            () => {
              if (!closed) relisten(Math.min(delayMs * 2, RELISTEN_MAX_MS));
            },
          );
        }, delayMs);
      };
      await listen();
      return {
        async close() {
          closed = true;
          clearTimeout(retryTimer);
          const current = client;
          client = undefined;
          if (!current) return;
          current.removeAllListeners('notification');
          await current.query(`unlisten ${WEBHOOK_CHANGES_CHANNEL}`).catch(() => undefined);
          current.release();
        },
      };
    },
  };
}

/**
 * Shared state in the Herald database. `pool`'s search path must reach
 * Herald's tables (the queue pool's does: `createQueuePool`).
 */
export function createPostgresSharedState(pool: PgPool): SharedState {
  return {
    kind: 'postgres',
    gate: postgresGateStore(pool),
    webhookChanges: postgresChangeFeed(pool),
    limits: postgresLimitStore(pool),
  };
}
