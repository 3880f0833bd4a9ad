import { NotFoundError } from '@herald/core';
import type { AttemptOutcome, DeliveryStatus } from '@herald/db';
import type { Engine } from '../engine.js';

export interface DeliveryAttemptDetail {
  id: string;
  attempt: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  durationMs: number;
  responseSnippet: string | null;
  error: string | null;
  startedAt: Date;
}

export interface DeliveryDetail {
  id: string;
  eventId: string;
  eventType: string | null;
  webhookId: string;
  webhookUrl: string;
  webhookDeleted: boolean;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Newest first. */
  attemptLog: DeliveryAttemptDetail[];
}

/** One delivery of the app with its event type, its webhook's URL and every attempt. */
export async function getDeliveryWithAttempts(
  engine: Engine,
  appId: string,
  deliveryId: string,
): Promise<DeliveryDetail> {
  const row = await engine.db
    .selectFrom('deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .leftJoin('events as e', 'e.id', 'd.event_id')
    .selectAll('d')
    .select(['w.url as webhook_url', 'w.deleted_at as webhook_deleted_at', 'e.type as event_type'])
    .where('d.id', '=', deliveryId)
    .where('d.app_id', '=', appId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('delivery', deliveryId);
  const attempts = await engine.db
    .selectFrom('delivery_attempts')
    .selectAll()
    .where('delivery_id', '=', deliveryId)
    .orderBy('attempt', 'desc')
    .orderBy('started_at', 'desc')
    .execute();
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type ?? null,
    webhookId: row.webhook_id,
    webhookUrl: row.webhook_url,
    webhookDeleted: row.webhook_deleted_at !== null,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    attemptLog: attempts.map((a) => ({
      id: a.id,
      attempt: a.attempt,
      outcome: a.outcome,
      statusCode: a.status_code,
      durationMs: a.duration_ms,
      responseSnippet: a.response_snippet,
      error: a.error,
      startedAt: a.started_at,
    })),
  };
}

/** The type of each of the app's events named (for labelling a page of deliveries). */
export async function getEventTypes(
  engine: Engine,
  appId: string,
  eventIds: readonly string[],
): Promise<Map<string, string>> {
  if (eventIds.length === 0) return new Map();
  const rows = await engine.db
    .selectFrom('events')
    .select(['id', 'type'])
    .where('app_id', '=', appId)
    .where('id', 'in', [...new Set(eventIds)])
    .execute();
  return new Map(rows.map((r) => [r.id, r.type]));
}

/** How many of the webhook's deliveries wait, held, for it to be enabled again. */
export async function countHeldDeliveries(engine: Engine, appId: string, webhookId: string): Promise<number> {
  const { n } = await engine.db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('app_id', '=', appId)
    .where('webhook_id', '=', webhookId)
    .where('status', '=', 'held')
    .executeTakeFirstOrThrow();
  return Number(n);
}
