import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { createDb, migrateToLatest, withDatabaseName, type Db } from '@herald/db';
import { TEMPLATE_ENV, TEST_POSTGRES_URL } from './services.js';

export interface TestDatabase {
  name: string;
  url: string;
  db: Db;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`drop database if exists "${name}" with (force)`));
}

/**
 * A fresh, migrated database of the test's own, copied from the run's
 * template (or migrated from scratch when there is none).
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = uniqueName('herald_test');
  const template = process.env[TEMPLATE_ENV];
  const migrated = options.migrated ?? true;
  if (migrated && template) {
    await admin((c) => c.query(`create database "${name}" template "${template}"`));
  } else {
    await admin((c) => c.query(`create database "${name}"`));
  }
  const url = withDatabaseName(TEST_POSTGRES_URL, name);
  const db = createDb({ connectionString: url, maxConnections: 5, applicationName: 'herald-test' });
  if (migrated && !template) await migrateToLatest(db);
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy();
      await dropDatabase(name);
    },
  };
}

/**
 * Gives a database the history a production one has: `rows` past events,
 * each delivered to `webhookId` (ids `msg_hist…`, `dlv_hist…`), then ANALYZE
 * (what autovacuum does within a minute). A new database is empty, and
 * Postgres plans for empty tables; the worker's hot writes only go prepared
 * past a size (@herald/db prepared.ts).
 */
export async function seedDeliveryHistory(
  db: Db,
  appId: string,
  webhookId: string,
  rows: number,
): Promise<void> {
  await sql`
    insert into events (id, app_id, type, payload, created_at)
    select 'msg_hist' || g, ${appId}, 'user.login', '{"userId":"usr_hist"}'::jsonb,
           now() - make_interval(secs => g)
    from generate_series(1, ${rows}::int) g`.execute(db);
  await sql`
    insert into deliveries (id, event_id, webhook_id, app_id, status, attempts, created_at, updated_at)
    select 'dlv_hist' || g, 'msg_hist' || g, ${webhookId}, ${appId}, 'succeeded', 1,
           now() - make_interval(secs => g), now() - make_interval(secs => g)
    from generate_series(1, ${rows}::int) g`.execute(db);
  await sql`analyze events, deliveries`.execute(db);
}
