// Shared by the panel's delivery tests (not a test itself): rows as the
// worker would have left them, written straight into Postgres.
import { newId } from '@herald/core';
import type { Engine } from '@herald/engine';

export interface SeededDelivery {
  eventId: string;
  deliveryId: string;
}

export async function seedDelivery(
  engine: Engine,
  options: {
    appId: string;
    webhookId: string;
    status?: 'pending' | 'succeeded' | 'failed' | 'dead' | 'held' | 'cancelled';
    type?: string;
    createdAt?: Date;
    attempts?: { statusCode: number | null; error?: string; snippet?: string; durationMs?: number }[];
  },
): Promise<SeededDelivery> {
  const createdAt = options.createdAt ?? new Date();
  const eventId = newId('event');
  const deliveryId = newId('delivery');
  const attempts = options.attempts ?? [];
  await engine.db
    .insertInto('events')
    .values({
      id: eventId,
      app_id: options.appId,
      type: options.type ?? 'payment.failed',
      payload: JSON.stringify({ user: 'alice', amount: 42 }),
      created_at: createdAt,
    })
    .execute();
  const last = attempts[attempts.length - 1];
  await engine.db
    .insertInto('deliveries')
    .values({
      id: deliveryId,
      event_id: eventId,
      webhook_id: options.webhookId,
      app_id: options.appId,
      status: options.status ?? 'dead',
      attempts: attempts.length,
      next_attempt_at: null,
      last_attempt_at: last ? createdAt : null,
      last_status_code: last?.statusCode ?? null,
      last_error: last?.error ?? null,
      created_at: createdAt,
    })
    .execute();
  for (const [index, a] of attempts.entries()) {
    await engine.db
      .insertInto('delivery_attempts')
      .values({
        id: newId('attempt'),
        delivery_id: deliveryId,
        attempt: index + 1,
        outcome: a.statusCode === null ? 'network_error' : a.statusCode < 300 ? 'success' : 'http_error',
        status_code: a.statusCode,
        duration_ms: a.durationMs ?? 120 + index,
        response_snippet: a.snippet ?? null,
        error: a.error ?? null,
        started_at: new Date(createdAt.getTime() + index * 1000),
      })
      .execute();
  }
  return { eventId, deliveryId };
}
