import { sql } from 'kysely';
import { ValidationError, isId } from '@herald/core';
import type { AuditActorType, Db } from '@herald/db';

export interface AuditRecord {
  id: string;
  actorType: AuditActorType;
  actorId: string | null;
  actorLabel: string;
  action: string;
  appId: string | null;
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
}

export interface AuditSearch {
  action?: string;
  /** The acting admin (or key) id. */
  actorId?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  limit?: number;
}

export const MAX_AUDIT_PAGE = 200;
const ACTION_PATTERN = /^[a-z_]+(\.[a-z_]+)+$/;
const MAX_ACTIONS = 200;

/**
 * One page of the audit log, newest first. Audit ids are time-ordered, so
 * the cursor is the last id of a page and every page is one index range
 * (the primary key, or `(action, id)` / `(actor_id, id)` when filtered).
 */
export async function listAuditLog(
  db: Db,
  search: AuditSearch = {},
): Promise<{ data: AuditRecord[]; nextCursor: string | null }> {
  const limit = search.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE) {
    throw new ValidationError('invalid limit', [
      { field: 'limit', message: `must be a whole number from 1 to ${MAX_AUDIT_PAGE}` },
    ]);
  }
  if (search.action !== undefined && (search.action.length > 100 || !ACTION_PATTERN.test(search.action))) {
    throw new ValidationError('invalid action', [{ field: 'action', message: 'is not an audit action' }]);
  }
  if (
    search.actorId !== undefined &&
    (search.actorId.length > 64 || !/^[a-z]+_[0-9A-Z]{26}$/.test(search.actorId))
  ) {
    throw new ValidationError('invalid actor', [{ field: 'actorId', message: 'is not an id' }]);
  }
  if (search.cursor !== undefined && !isId('audit', search.cursor)) {
    throw new ValidationError('invalid cursor', [
      { field: 'cursor', message: 'is not a cursor from this list' },
    ]);
  }
  let query = db.selectFrom('audit_log').selectAll();
  if (search.action !== undefined) query = query.where('action', '=', search.action);
  if (search.actorId !== undefined) query = query.where('actor_id', '=', search.actorId);
  if (search.cursor !== undefined) query = query.where('id', '<', search.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  return {
    data: page.map((r) => ({
      id: r.id,
      actorType: r.actor_type,
      actorId: r.actor_id,
      actorLabel: r.actor_label,
      action: r.action,
      appId: r.app_id,
      targetType: r.target_type,
      targetId: r.target_id,
      details: r.details,
      ip: r.ip,
      userAgent: r.user_agent,
      createdAt: r.created_at,
    })),
    nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

/** The distinct actions in the log, sorted (a loose index scan over `audit_log_action_id_idx`). */
export async function listAuditActions(db: Db): Promise<string[]> {
  const result = await sql<{ action: string }>`
    with recursive t(action) as (
      (select action from audit_log order by action limit 1)
      union all
      select (select a.action from audit_log a where a.action > t.action order by a.action limit 1)
      from t
      where t.action is not null
    )
    select action from t where action is not null limit ${MAX_ACTIONS}
  `.execute(db);
  return result.rows.map((r) => r.action);
}
