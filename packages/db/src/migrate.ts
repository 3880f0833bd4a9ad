import { Migrator, sql, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import { StartupError } from '@herald/core';
import { createDb, databaseNameOf, withDatabaseName, type Db } from './connect.js';
import { MIGRATIONS } from './migrations/index.js';

const migrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

// Arbitrary but fixed: serialises CREATE DATABASE across concurrent migrators.
const CREATE_DATABASE_LOCK = 0x6865_7261; // 'hera'

/** Thrown when the database is older than this code; the message is for operators. */
export class SchemaBehindError extends StartupError {
  override readonly name = 'SchemaBehindError';
  constructor(readonly pending: readonly string[]) {
    super(
      pending.length > 0
        ? `the database schema is behind (${pending.length} migration(s) pending): run pnpm migrate`
        : 'the database does not exist yet: run pnpm migrate',
    );
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Creates the database named in `connectionString` when it does not exist.
 * Safe from several processes at once: they queue on an advisory lock in the
 * maintenance database, and a lost race (42P04) counts as success.
 */
export async function ensureDatabase(connectionString: string): Promise<boolean> {
  const name = databaseNameOf(connectionString);
  const client = new pg.Client({ connectionString: withDatabaseName(connectionString, 'postgres') });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [CREATE_DATABASE_LOCK]);
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`create database ${quoteIdent(name)}`);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === '42P04') return false;
      throw error;
    }
  } finally {
    await client.query('select pg_advisory_unlock($1)', [CREATE_DATABASE_LOCK]).catch(() => undefined);
    await client.end();
  }
}

/**
 * Applies every pending migration. Kysely's Migrator holds a Postgres advisory
 * lock for the whole run, so concurrent callers apply each migration once.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = result.error instanceof Error ? result.error.message : JSON.stringify(result.error);
    throw new Error(`migration ${failed ?? '(unknown)'} failed: ${reason}`, {
      cause: result.error,
    });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of the migrations this code has that the database has not run. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const migrations = await migrator.getMigrations();
  return migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/**
 * For `pnpm admin` / `pnpm worker`, which never migrate: throws
 * SchemaBehindError when the database is missing or behind.
 */
export async function assertSchemaCurrent(db: Db): Promise<void> {
  let pending: string[];
  try {
    pending = await pendingMigrations(db);
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') throw new SchemaBehindError([]);
    throw error;
  }
  if (pending.length > 0) throw new SchemaBehindError(pending);
}

export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/** `pnpm migrate`: create the database when missing, then migrate it. */
export async function migrateDatabase(
  connectionString: string,
): Promise<{ created: boolean; applied: string[] }> {
  const created = await ensureDatabase(connectionString);
  const db = createDb({ connectionString, maxConnections: 1, applicationName: 'herald-migrate' });
  try {
    return { created, applied: await migrateToLatest(db) };
  } finally {
    await db.destroy();
  }
}
