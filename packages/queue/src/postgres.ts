import {
  LATEST_SCHEMA_VERSION,
  SchemaMigrationRequiredError,
  SchemaVersionMismatchError,
  assertSchemaCompatibility,
  runMigrations,
  type PgPool,
} from 'bullmq';
import pg from 'pg';
import { StartupError } from '@herald/core';

/**
 * BullMQ's own tables (`job`, `event`, `meta`, …) have generic names, so they
 * live in a schema of their own, never beside Herald's tables in `public`.
 */
export const QUEUE_SCHEMA = 'bullmq';

/**
 * What a pool for the Postgres queue backend must set on every connection:
 * BullMQ's SQL names its tables unqualified, and Herald's shared-state SQL
 * names Herald's tables unqualified, so both schemas are on the path, BullMQ's
 * first (the names do not overlap).
 */
export const QUEUE_SEARCH_PATH = `${QUEUE_SCHEMA},public`;

export interface QueuePoolOptions {
  connectionString: string;
  /** Each BullMQ worker holds one connection for LISTEN; the rest serve queries. */
  max?: number;
  applicationName?: string;
  /**
   * `false` for workers: their queue writes (claims, completions, the delivery
   * jobs of a fan-out) commit without waiting for the WAL flush. A Postgres
   * crash can then undo the last moments of them — as a Redis restart can —
   * and Herald recovers: a lost completion re-runs the job (same webhook-id),
   * a lost delivery job is re-queued by the reconciler from the committed
   * delivery row. Producers keep the default (a published event is durable).
   */
  synchronousCommit?: boolean;
  onError?: (error: Error) => void;
}

/** A `pg.Pool` for BullMQ's Postgres backend and Herald's shared state (gate, limits, change feed). */
export function createQueuePool(options: QueuePoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 20,
    application_name: options.applicationName ?? 'herald',
    options:
      `-c search_path=${QUEUE_SEARCH_PATH}` +
      (options.synchronousCommit === false ? ' -c synchronous_commit=off' : ''),
    // TCP keepalive after 10 s idle (pg's default delay, 0, means the OS's two
    // hours): its probes keep NAT and load-balancer idle timers from dropping
    // the LISTEN connections, and a dead peer is noticed in minutes. (With
    // keepAlive set BullMQ skips its own keepalive, so the delay matters here.)
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // Without a listener an idle client's error would crash the process.
  pool.on('error', (error) => options.onError?.(error));
  return pool;
}

/**
 * `pnpm migrate` with HERALD_QUEUE_BACKEND=postgres: brings BullMQ's schema
 * up to this BullMQ's version (one transaction under an advisory lock, so
 * concurrent migrators are safe). Returns the schema version.
 */
export async function migrateQueueSchema(pool: PgPool): Promise<number> {
  const client = await pool.connect();
  try {
    return await runMigrations(client, QUEUE_SCHEMA);
  } finally {
    client.release();
  }
}

/** For processes that never migrate: refuse to start when BullMQ's schema is missing or too new. */
export async function assertQueueSchemaCurrent(pool: PgPool): Promise<void> {
  const behind = new StartupError(
    `the queue schema "${QUEUE_SCHEMA}" is missing or behind (HERALD_QUEUE_BACKEND=postgres): run pnpm migrate`,
  );
  let version: number;
  try {
    version = await assertSchemaCompatibility(pool, QUEUE_SCHEMA);
  } catch (error) {
    if (error instanceof SchemaMigrationRequiredError) throw behind;
    if (error instanceof SchemaVersionMismatchError) {
      throw new StartupError(
        `the queue schema "${QUEUE_SCHEMA}" was migrated by a newer BullMQ than this Herald uses: upgrade Herald`,
      );
    }
    throw error;
  }
  if (version < LATEST_SCHEMA_VERSION) throw behind;
}
