import { sql } from 'kysely';
import { EVENT_TYPE_PATTERN, ValidationError, isId } from '@herald/core';
import type { Db } from '@herald/db';

export interface EventSummary {
  id: string;
  type: string;
  /** When it was published. */
  timestamp: Date;
  /** How many deliveries the fan-out made for it. */
  deliveryCount: number;
}

export interface EventSearch {
  type?: string;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  limit?: number;
}

export const MAX_EVENT_PAGE = 200;
/** The distinct-types query stops after this many; an app with more is publishing ids as types. */
export const MAX_PUBLISHED_TYPES = 500;

// `<epoch ms>.<event id>`: the position of the last row of a page in the
// (created_at desc, id desc) order. Event times are whole milliseconds (they
// come from the producer's clock), so the round trip is exact.
const CURSOR = /^(\d{1,15})\.(msg_[0-9A-Z]{26})$/;

function encodeCursor(row: { created_at: Date; id: string }): string {
  return `${row.created_at.getTime()}.${row.id}`;
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const match = CURSOR.exec(cursor);
  const at = match ? new Date(Number(match[1])) : undefined;
  if (!match || !at || Number.isNaN(at.getTime()) || !isId('event', match[2])) {
    throw new ValidationError('invalid cursor', [
      { field: 'cursor', message: 'is not a cursor from this list' },
    ]);
  }
  return { at, id: match[2] };
}

/**
 * One page of the app's events, newest first, optionally of one type and in
 * [since, until). Keyset pagination over `events_app_created_idx` /
 * `events_app_type_created_idx`, so page 1,000 costs what page 1 does.
 */
export async function searchEvents(
  db: Db,
  appId: string,
  search: EventSearch = {},
): Promise<{ data: EventSummary[]; nextCursor: string | null }> {
  const limit = search.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENT_PAGE) {
    throw new ValidationError('invalid limit', [
      { field: 'limit', message: `must be a whole number from 1 to ${MAX_EVENT_PAGE}` },
    ]);
  }
  if (search.type !== undefined && !EVENT_TYPE_PATTERN.test(search.type)) {
    throw new ValidationError('invalid type', [
      { field: 'type', message: 'must be 1–256 characters of letters, digits, "_", "." or "-"' },
    ]);
  }
  if (search.since && search.until && search.since.getTime() >= search.until.getTime()) {
    throw new ValidationError('invalid time range: until must be after since', [
      { field: 'until', message: 'must be after since' },
    ]);
  }
  const after = search.cursor === undefined ? undefined : decodeCursor(search.cursor);
  let query = db
    .selectFrom('events as e')
    .select([
      'e.id',
      'e.type',
      'e.created_at',
      (eb) =>
        eb
          .selectFrom('deliveries as d')
          .select(eb.fn.countAll<string>().as('n'))
          .whereRef('d.event_id', '=', 'e.id')
          .as('delivery_count'),
    ])
    .where('e.app_id', '=', appId);
  if (search.type !== undefined) query = query.where('e.type', '=', search.type);
  if (search.since) query = query.where('e.created_at', '>=', search.since);
  if (search.until) query = query.where('e.created_at', '<', search.until);
  if (after) {
    // The plain bound lets the index range start at the cursor; the row comparison breaks ties.
    query = query
      .where('e.created_at', '<=', after.at)
      .where((eb) => eb(eb.refTuple('e.created_at', 'e.id'), '<', eb.tuple(after.at, after.id)));
  }
  const rows = await query
    .orderBy('e.created_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page.map((r) => ({
      id: r.id,
      type: r.type,
      timestamp: r.created_at,
      deliveryCount: Number(r.delivery_count ?? 0),
    })),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}

/**
 * Every event type the app has published (still within retention), sorted,
 * at most MAX_PUBLISHED_TYPES. A loose index scan over
 * `events_app_type_created_idx`: one index probe per distinct type, however
 * many events each type has.
 */
export async function listPublishedEventTypes(db: Db, appId: string): Promise<string[]> {
  const result = await sql<{ type: string }>`
    with recursive t(type) as (
      (select type from events where app_id = ${appId} order by type limit 1)
      union all
      select (select e.type from events e where e.app_id = ${appId} and e.type > t.type order by e.type limit 1)
      from t
      where t.type is not null
    )
    select type from t where type is not null limit ${MAX_PUBLISHED_TYPES}
  `.execute(db);
  return result.rows.map((r) => r.type);
}
