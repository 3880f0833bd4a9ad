import type { EventWithDeliveries, Webhook } from '@herald/engine';

// The API's JSON shapes (see schemas.ts for their documentation): the
// library's types carry more than the public contract promises.

export function presentWebhook(w: Webhook) {
  return {
    id: w.id,
    url: w.url,
    description: w.description,
    userAgent: w.userAgent,
    events: w.events,
    format: w.format,
    headers: w.headers,
    enabled: w.enabled,
    disabledReason: w.disabledReason,
    rateLimitPerSecond: w.rateLimitPerSecond,
    createdAt: w.createdAt.toISOString(),
  };
}

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
