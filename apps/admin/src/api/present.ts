import type { EventWithDeliveries } from '@herald/engine';

// The API's JSON shapes (see schemas.ts for their documentation): the
// library's types carry more than the public contract promises.

export { toPublicWebhook as presentWebhook } from '@herald/engine';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function presentEvent(e: EventWithDeliveries) {
  return {
    id: e.id,
    type: e.type,
    timestamp: e.timestamp.toISOString(),
    data: e.data,
    idempotencyKey: e.idempotencyKey,
    status: e.status,
    deliveries: e.deliveries.map((d) => ({
      id: d.id,
      webhookId: d.webhookId,
      status: d.status,
      attemptCount: d.attemptCount,
      nextAttemptAt: iso(d.nextAttemptAt),
      lastAttemptAt: iso(d.lastAttemptAt),
      lastStatusCode: d.lastStatusCode,
      lastError: d.lastError,
      createdAt: d.createdAt.toISOString(),
      attempts: d.attempts.map((a) => ({
        id: a.id,
        attempt: a.attempt,
        outcome: a.outcome,
        statusCode: a.statusCode,
        durationMs: a.durationMs,
        responseSnippet: a.responseSnippet,
        error: a.error,
        startedAt: a.startedAt.toISOString(),
      })),
    })),
  };
}
