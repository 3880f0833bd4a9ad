import path from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { runMigrations } from 'bullmq';
import { Kysely } from 'kysely';
import { migrateToLatest, type Database, type Db } from '@herald/db';
import { acquireDataDirLock } from './data-dir-lock.js';
import { PgliteDialect } from './kysely-dialect.js';
import { PglitePool } from './pg-pool.js';
import { PgliteSession } from './session.js';

/** Where `pnpm start` keeps the embedded database (git-ignored with `.herald/`). */
export const DEFAULT_DATA_DIR = path.join('.herald', 'data');

/** BullMQ's tables (`job`, `event`, `meta`, …) live here, apart from Herald's in `public`. */
export const DEFAULT_QUEUE_SCHEMA = 'bullmq';

export interface OpenEmbeddedDatabaseOptions {
  /** Created when missing; a second process opening it gets DataDirLockedError. */
  dataDir?: string;
  /** The schema BullMQ's Postgres backend uses (BullMQ's default). */
  queueSchema?: string;
}

export interface EmbeddedDatabase {
  readonly dataDir: string;
  /** Herald's schema (`public`). `db.destroy()` does not close PGlite: call `close()`. */
  readonly db: Db;
  /**
   * For `createPostgresBackend` / `connection` of BullMQ's Postgres backend;
   * its clients run with `search_path` = the queue schema, then `public`
   * (like `QUEUE_SEARCH_PATH`: Herald's shared state on this pool uses its
   * `throttles` and gate tables there). BullMQ never
   * migrates a pool it was handed: `migrate()` does.
   */
  readonly pool: PglitePool;
  readonly queueSchema: string;
  /** Applies Herald's pending migrations and BullMQ's schema. */
  migrate(): Promise<EmbeddedMigrationResult>;
  /** Waits for the statement in progress, closes PGlite, then removes the lock file. */
  close(): Promise<void>;
}

export interface EmbeddedMigrationResult {
  /** Herald migrations applied by this call. */
  applied: string[];
  /** BullMQ's schema version after the call. */
  queueSchemaVersion: number;
}

// node-postgres returns int8 as a string (it may not fit a JS number); Herald
// and BullMQ were written against that, PGlite's default is number | bigint.
const PG_COMPATIBLE_PARSERS = { [types.INT8]: (value: string) => value };

/**
 * Opens (creating on first use) the PGlite data directory for the embedded
 * mode: one in-process Postgres session serving Kysely and BullMQ alike.
 * A first open runs initdb (seconds); later opens take about one second.
 */
export async function openEmbeddedDatabase(
  options: OpenEmbeddedDatabaseOptions = {},
): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const queueSchema = options.queueSchema ?? DEFAULT_QUEUE_SCHEMA;
  const lock = await acquireDataDirLock(dataDir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(dataDir, { parsers: PG_COMPATIBLE_PARSERS });
  } catch (error) {
    await lock.release();
    throw error;
  }
  const session = new PgliteSession(pglite);
  const db = new Kysely<Database>({ dialect: new PgliteDialect(session, ['public']) });
  const pool = new PglitePool(session, [queueSchema, 'public']);
  let closing: Promise<void> | undefined;

  return {
    dataDir,
    db,
    pool,
    queueSchema,
    async migrate() {
      const applied = await migrateToLatest(db);
      const client = await pool.connect();
      try {
        return { applied, queueSchemaVersion: await runMigrations(client, queueSchema) };
      } finally {
        client.release();
      }
    },
    close() {
      closing ??= (async () => {
        try {
          await pool.end();
          await session.close();
        } finally {
          await lock.release();
        }
      })();
      return closing;
    },
  };
}
