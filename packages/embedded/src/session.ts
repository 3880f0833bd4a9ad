import type { PGlite } from '@electric-sql/pglite';
import { Mutex } from './mutex.js';
import { quoteIdent } from './sql-ident.js';

/** What one statement returns, shaped like node-postgres' result. */
export interface SessionResult {
  rows: Record<string, unknown>[];
  /** Rows the command touched (INSERT/UPDATE/DELETE/MERGE) or returned (SELECT). */
  rowCount: number | null;
  command: string | undefined;
  /** INSERT/UPDATE/DELETE/MERGE only: the count from the command tag. */
  affectedRows: number | undefined;
}

type NotificationListener = (channel: string, payload: string) => void;

/**
 * PGlite is one Postgres session, shared here by many logical connections
 * (Kysely's, BullMQ's pool clients, BullMQ's LISTEN client). The session
 * gives each statement the whole database in turn, and a connection whose
 * statement leaves a transaction open keeps the session until the
 * transaction ends: nobody else's statement can land inside it.
 *
 * Each connection has its own `search_path` (Herald's tables in `public`,
 * BullMQ's in `bullmq`, whose tables have generic names like `job` and
 * `event`); the session switches it before a statement when the previous
 * statement came from a connection with another path.
 */
export class PgliteSession {
  readonly #pg: PGlite;
  readonly #lock = new Mutex();
  readonly #listeners = new Set<NotificationListener>();
  #holder: SessionConnection | undefined;
  #releaseHolder: (() => void) | undefined;
  /** The path last set on the session; undefined = unknown, set it again. */
  #searchPath: string | undefined;
  #isClosed = false;

  constructor(pg: PGlite) {
    this.#pg = pg;
    // Dispatched off PGlite's protocol loop: a listener's own queries or
    // exceptions must not run inside the statement that delivered the NOTIFY.
    pg.onNotification((channel, payload) => {
      for (const listener of this.#listeners) queueMicrotask(() => listener(channel, payload));
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** A logical connection whose statements run with `search_path` = `schemas`. */
  connect(schemas: readonly string[]): SessionConnection {
    return new SessionConnection(this, schemas.map(quoteIdent).join(', '));
  }

  /** Every NOTIFY the session receives (it is one session: every LISTEN is shared). */
  onNotification(listener: NotificationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** @internal use SessionConnection.query */
  async run(connection: SessionConnection, text: string, params: readonly unknown[]): Promise<SessionResult> {
    if (this.#holder === connection) {
      try {
        return await this.#execute(connection, text, params);
      } finally {
        if (!this.#pg.isInTransaction()) this.#endHold();
      }
    }
    const release = await this.#lock.acquire();
    if (this.#isClosed) {
      release();
      throw new Error('the embedded database is closed');
    }
    try {
      return await this.#execute(connection, text, params);
    } finally {
      if (this.#pg.isInTransaction()) {
        this.#holder = connection;
        this.#releaseHolder = release;
      } else {
        release();
      }
    }
  }

  /** @internal use SessionConnection.release: a transaction left open is rolled back. */
  async release(connection: SessionConnection): Promise<void> {
    if (this.#holder !== connection) return;
    try {
      await this.#pg.exec('rollback');
    } finally {
      this.#endHold();
    }
  }

  /** Waits for the statement or transaction in progress, then closes PGlite. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    const release = await this.#lock.acquire();
    try {
      if (this.#isClosed) return;
      this.#isClosed = true;
      this.#listeners.clear();
      await this.#pg.close();
    } finally {
      release();
    }
  }

  #endHold(): void {
    const release = this.#releaseHolder;
    this.#holder = undefined;
    this.#releaseHolder = undefined;
    // A rolled-back transaction also rolls back a SET inside it.
    this.#searchPath = undefined;
    release?.();
  }

  async #execute(
    connection: SessionConnection,
    text: string,
    params: readonly unknown[],
  ): Promise<SessionResult> {
    if (this.#searchPath !== connection.searchPath) {
      await this.#pg.exec(`set search_path to ${connection.searchPath}`);
      this.#searchPath = connection.searchPath;
    }
    if (params.length === 0) {
      // Like node-postgres: no parameters = the simple protocol, which allows
      // several statements in one string (migrations); the last result wins.
      const results = await this.#pg.exec(text);
      return toSessionResult(results[results.length - 1]);
    }
    return toSessionResult(await this.#pg.query(text, [...params]));
  }
}

/** One logical connection on the shared session. */
export class SessionConnection {
  readonly #session: PgliteSession;
  readonly searchPath: string;

  constructor(session: PgliteSession, searchPath: string) {
    this.#session = session;
    this.searchPath = searchPath;
  }

  query(text: string, params: readonly unknown[] = []): Promise<SessionResult> {
    return this.#session.run(this, text, params);
  }

  /** Ends this connection's hold on the session, rolling back a transaction it left open. */
  release(): Promise<void> {
    return this.#session.release(this);
  }
}

interface PgliteResults {
  rows: unknown[];
  affectedRows?: number;
  command?: string;
  rowCount?: number;
}

function toSessionResult(results: PgliteResults | undefined): SessionResult {
  if (!results) return { rows: [], rowCount: null, command: undefined, affectedRows: undefined };
  const rows = results.rows as Record<string, unknown>[];
  const isWrite = results.command !== undefined && WRITE_COMMANDS.has(results.command);
  return {
    rows,
    rowCount: results.rowCount ?? (isWrite ? (results.affectedRows ?? null) : rows.length),
    command: results.command,
    affectedRows: isWrite ? results.affectedRows : undefined,
  };
}

const WRITE_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY']);
