import session, { type SessionData } from 'express-session';
import type { Db } from '@herald/db';

export interface SessionStoreOptions {
  /** A session unused for this long is gone (the deadline moves on every request). */
  idleMs: number;
  /** A session older than this is gone however busy it is; only a new login starts a new one. */
  absoluteMs: number;
}

// How many expired rows one pruning pass deletes: small enough never to hold
// locks for long, run at every login so the table stays at its live size.
const PRUNE_BATCH = 500;

/**
 * express-session's store on Postgres (`admin_sessions`). Both timeouts are
 * enforced here, on the server: a row past its idle deadline or its absolute
 * lifetime reads as no session at all, whatever the cookie says.
 */
export class PostgresSessionStore extends session.Store {
  private readonly startingSignedIn = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly options: SessionStoreOptions,
  ) {
    super();
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    this.db
      .selectFrom('admin_sessions')
      .select('data')
      .where('sid', '=', sid)
      .where('expires_at', '>', new Date())
      .where('created_at', '>', this.absoluteCutoff())
      .executeTakeFirst()
      .then(
        (row) => callback(null, row ? (row.data as unknown as SessionData) : null),
        (error: unknown) => callback(error),
      );
  }

  /**
   * Writes a session. A signed-in session is only ever updated here, never
   * created, unless `startSignedIn` announced it (the login that just made
   * it): a request of a session that was ended meanwhile — a password change
   * signing the admin's other sessions out — saves on its way out, and an
   * upsert would bring that session back with a new lifetime.
   */
  override set(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    const adminId = typeof data.adminId === 'string' ? data.adminId : null;
    const mayCreate = adminId === null || this.startingSignedIn.has(sid);
    const json = JSON.stringify(data);
    const changes = {
      admin_id: adminId,
      data: json,
      expires_at: this.idleDeadline(),
      last_seen_at: new Date(),
    };
    const write = mayCreate
      ? this.db
          .insertInto('admin_sessions')
          .values({
            sid,
            admin_id: adminId,
            data: json,
            expires_at: changes.expires_at,
            created_at: new Date(),
          })
          // created_at is kept: the absolute lifetime counts from the session's birth.
          .onConflict((oc) => oc.column('sid').doUpdateSet(changes))
          .execute()
      : this.db.updateTable('admin_sessions').set(changes).where('sid', '=', sid).execute();
    write.then(
      () => {
        this.startingSignedIn.delete(sid);
        callback?.();
      },
      (error: unknown) => {
        this.startingSignedIn.delete(sid);
        callback?.(error);
      },
    );
  }

  /** The login that just signed `sid` in: its next `set` may create the row. */
  startSignedIn(sid: string): void {
    this.startingSignedIn.add(sid);
  }

  override touch(sid: string, _data: SessionData, callback?: () => void): void {
    this.db
      .updateTable('admin_sessions')
      .set({ expires_at: this.idleDeadline(), last_seen_at: new Date() })
      .where('sid', '=', sid)
      .execute()
      .then(
        () => callback?.(),
        // express-session's touch callback takes no error; a failed touch only
        // shortens the idle window, and the next request tries again.
        () => callback?.(),
      );
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.db
      .deleteFrom('admin_sessions')
      .where('sid', '=', sid)
      .execute()
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
  }

  /** Deletes up to one batch of dead sessions; returns how many went. */
  async prune(): Promise<number> {
    const result = await this.db
      .deleteFrom('admin_sessions')
      .where(
        'sid',
        'in',
        this.db
          .selectFrom('admin_sessions')
          .select('sid')
          .where((eb) =>
            eb.or([eb('expires_at', '<=', new Date()), eb('created_at', '<=', this.absoluteCutoff())]),
          )
          .limit(PRUNE_BATCH),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // Deadlines come from this process's clock on both sides (written and
  // compared), so Postgres's clock never enters the comparison.
  private absoluteCutoff(): Date {
    return new Date(Date.now() - this.options.absoluteMs);
  }

  private idleDeadline(): Date {
    return new Date(Date.now() + this.options.idleMs);
  }
}
