import { EventEmitter } from 'node:events';
import type { PgNotification, PgPool, PgPoolClient, PgQueryResult } from 'bullmq';
import type { PgliteSession, SessionConnection, SessionResult } from './session.js';

/** node-postgres' message, which BullMQ treats as "the pool is shutting down". */
const POOL_ENDED_MESSAGE = 'Cannot use a pool after calling end on the pool';

/**
 * A `pg.Pool` look-alike over the shared PGlite session, shaped as BullMQ's
 * Postgres backend needs it (`createPostgresBackend({ connection: pool })`).
 * Every client is a logical connection on the one session: a transaction a
 * client opens holds the whole session until it ends (see PgliteSession).
 * `end()` retires this pool only; PGlite stays open for the other users.
 */
export class PglitePool extends EventEmitter implements PgPool {
  /**
   * Read by BullMQ: with keep-alive it trusts the LISTEN client to report a
   * dropped connection and lets idle workers block up to an hour instead of
   * re-polling every 10 s. An in-process session cannot drop silently.
   */
  readonly options = { keepAlive: true } as const;
  readonly #session: PgliteSession;
  readonly #schemas: readonly string[];
  #hasEnded = false;

  constructor(session: PgliteSession, schemas: readonly string[]) {
    super();
    this.#session = session;
    this.#schemas = schemas;
  }

  async query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<PgQueryResult<R>> {
    const client = await this.connect();
    try {
      return await client.query<R>(text, params);
    } finally {
      client.release();
    }
  }

  connect(): Promise<PglitePoolClient> {
    if (this.#hasEnded) return Promise.reject(new Error(POOL_ENDED_MESSAGE));
    const client = new PglitePoolClient(this.#session, this.#session.connect(this.#schemas), (error) =>
      this.#emitError(error),
    );
    this.emit('connect', client);
    return Promise.resolve(client);
  }

  end(): Promise<void> {
    this.#hasEnded = true;
    return Promise.resolve();
  }

  #emitError(error: Error): void {
    // Like pg.Pool: an 'error' with nobody listening would throw.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

/** A pool client: queries, notifications of the shared session, release. */
export class PglitePoolClient extends EventEmitter implements PgPoolClient {
  readonly #connection: SessionConnection;
  readonly #onError: (error: Error) => void;
  readonly #stopNotifications: () => void;
  #isReleased = false;

  constructor(session: PgliteSession, connection: SessionConnection, onError: (error: Error) => void) {
    super();
    this.#connection = connection;
    this.#onError = onError;
    // PGlite is one session, so a LISTEN by any client subscribes them all;
    // BullMQ filters notifications by channel and payload anyway.
    this.#stopNotifications = session.onNotification((channel, payload) => {
      if (this.#isReleased) return;
      const notification: PgNotification = { channel, payload };
      this.emit('notification', notification);
    });
  }

  async query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<PgQueryResult<R>> {
    if (this.#isReleased) throw new Error('Client was released to the pool');
    return toPgResult<R>(await this.#connection.query(text, params ?? []));
  }

  release(_destroy?: boolean): void {
    if (this.#isReleased) return;
    this.#isReleased = true;
    this.#stopNotifications();
    // A client released inside a transaction would leave the session stuck
    // in it; the session rolls it back.
    this.#connection.release().catch((error: unknown) => {
      this.#onError(error instanceof Error ? error : new Error(String(error)));
    });
  }
}

function toPgResult<R>(result: SessionResult): PgQueryResult<R> & { command: string | undefined } {
  return { rows: result.rows as R[], rowCount: result.rowCount, command: result.command };
}
