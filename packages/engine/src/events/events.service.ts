import { NotFoundError } from '@herald/core';
import type { AttemptOutcome, DeliveryStatus } from '@herald/db';
import { parseEventJobData } from '@herald/queue';
import type { Engine } from '../engine.js';

export interface EventAttempt {
  id: string;
  attempt: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  durationMs: number;
  responseSnippet: string | null;
  error: string | null;
  startedAt: Date;
}

export interface EventDelivery {
  id: string;
  webhookId: string;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  /** Oldest first. */
  attempts: EventAttempt[];
}

export interface EventWithDeliveries {
  id: string;
  type: string;
  /** When it was published (the body's `timestamp`). */
  timestamp: Date;
  /** Null once retention dropped the payload. */
  data: Record<string, unknown> | null;
  idempotencyKey: string | null;
  /** `queued`: published, not fanned out yet (no deliveries); `recorded`: in Postgres. */
  status: 'queued' | 'recorded';
  deliveries: EventDelivery[];
}

/**
 * One event of the app with every delivery and attempt. An event still
 * waiting in `{events}` (published, not yet fanned out) is answered from its
 * job, so a GET right after a publish does not say "not found".
 */
export async function getEventWithDeliveries(
  engine: Engine,
  appId: string,
  eventId: string,
): Promise<EventWithDeliveries> {
  const event = await engine.db
    .selectFrom('events')
    .select(['id', 'type', 'payload', 'idempotency_key', 'created_at'])
    .where('id', '=', eventId)
    .where('app_id', '=', appId)
    .executeTakeFirst();
  if (!event) return findQueuedEvent(engine, appId, eventId);
  const deliveries = await engine.db
    .selectFrom('deliveries')
    .selectAll()
    .where('event_id', '=', eventId)
    .orderBy('id')
    .execute();
  const attempts =
    deliveries.length === 0
      ? []
      : await engine.db
          .selectFrom('delivery_attempts')
          .selectAll()
          .where(
            'delivery_id',
            'in',
            deliveries.map((d) => d.id),
          )
          .orderBy('delivery_id')
          .orderBy('attempt')
          .orderBy('started_at')
          .execute();
  const byDelivery = new Map<string, EventAttempt[]>();
  for (const a of attempts) {
    const list = byDelivery.get(a.delivery_id) ?? [];
    list.push({
      id: a.id,
      attempt: a.attempt,
      outcome: a.outcome,
      statusCode: a.status_code,
      durationMs: a.duration_ms,
      responseSnippet: a.response_snippet,
      error: a.error,
      startedAt: a.started_at,
    });
    byDelivery.set(a.delivery_id, list);
  }
  return {
    id: event.id,
    type: event.type,
    timestamp: event.created_at,
    data: (event.payload as Record<string, unknown> | null) ?? null,
    idempotencyKey: event.idempotency_key,
    status: 'recorded',
    deliveries: deliveries.map((d) => ({
      id: d.id,
      webhookId: d.webhook_id,
      status: d.status,
      attemptCount: d.attempts,
      nextAttemptAt: d.next_attempt_at,
      lastAttemptAt: d.last_attempt_at,
      lastStatusCode: d.last_status_code,
      lastError: d.last_error,
      createdAt: d.created_at,
      attempts: byDelivery.get(d.id) ?? [],
    })),
  };
}

async function findQueuedEvent(engine: Engine, appId: string, eventId: string): Promise<EventWithDeliveries> {
  const job = await engine.queues.events.getJob(eventId);
  let data;
  try {
    data = job ? parseEventJobData(job.data) : undefined;
  } catch {
    data = undefined;
  }
  // Another app's event is as invisible as one that does not exist.
  if (!data || data.appId !== appId || data.id !== eventId) throw new NotFoundError('event', eventId);
  return {
    id: data.id,
    type: data.type,
    timestamp: new Date(data.timestamp),
    data: data.data,
    idempotencyKey: data.idempotencyKey ?? null,
    status: 'queued',
    deliveries: [],
  };
}
