import { newId } from '@herald/core';
import type { AuditActorType, Db } from '@herald/db';

/** Who did something: a staff member, an API key, the CLI, or Herald itself. */
export interface Actor {
  type: AuditActorType;
  id?: string | null;
  /** Email, key prefix, `cli`… — what the audit log shows. */
  label: string;
  ip?: string | null;
  userAgent?: string | null;
}

export const CLI_ACTOR: Actor = { type: 'cli', label: 'cli' };
export const SYSTEM_ACTOR: Actor = { type: 'system', label: 'herald' };

export interface AuditEntry {
  action: string;
  appId?: string | null;
  targetType?: string;
  targetId?: string;
  /** Never secrets: ids, counts, names of changed fields. */
  details?: Record<string, unknown>;
}

export async function recordAudit(db: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newId('audit'),
      actor_type: actor.type,
      actor_id: actor.id ?? null,
      actor_label: actor.label,
      action: entry.action,
      app_id: entry.appId ?? null,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      details: JSON.stringify(entry.details ?? {}),
      ip: actor.ip ?? null,
      user_agent: actor.userAgent?.slice(0, 512) ?? null,
    })
    .execute();
}
