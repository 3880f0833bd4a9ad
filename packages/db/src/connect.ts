import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { preparingClient, type PreparedStatementGate } from './prepared.js';
import type { Database } from './schema.js';

export interface CreateDbOptions {
  connectionString: string;
  /** Pool size; keep it small, workers batch their writes. */
  maxConnections?: number;
  applicationName?: string;
  /** Sends statements marked with preparedStatement() named while this gate is open (prepared.ts). */
  preparedStatements?: PreparedStatementGate;
  /** Called when an idle pooled connection fails (the pool replaces it). */
  onPoolError?: (error: Error) => void;
}

export type Db = Kysely<Database>;

export function createDb(options: CreateDbOptions): Db {
  const pool = new pg.Pool({
    // Statements marked with preparedStatement() go named while the gate is open.
    ...(options.preparedStatements ? { Client: preparingClient(options.preparedStatements) } : {}),
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'herald',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // Without a listener an idle client's error would crash the process.
  pool.on('error', (error) => options.onPoolError?.(error));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** The same URL pointing at another database on the same server. */
export function withDatabaseName(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function databaseNameOf(connectionString: string): string {
  const name = decodeURIComponent(new URL(connectionString).pathname.replace(/^\//, ''));
  return name === '' ? 'postgres' : name;
}
