import { Router } from 'express';
import { ValidationError, isId } from '@herald/core';
import { buildEventJob, buildEventJobs, enqueueEventJob, enqueueEventJobs } from '@herald/client';
import { getEventWithDeliveries } from '@herald/engine';
import type { ApiDeps } from './api.routes.js';
import { callerOf } from './auth.js';
import { jsonBody, parseWith } from './body.js';
import { notFound } from './errors.js';
import type { RouteGuard } from './guard.js';
import { presentEvent } from './present.js';
import { EventBatchSchema, EventInputSchema, IdempotencyKeySchema } from './schemas.js';

const HEADER = 'Idempotency-Key';

/** The body's idempotencyKey or the header's; both given must agree. */
function idempotencyKeyOf(header: string | undefined, body: string | undefined): string | undefined {
  if (header === undefined) return body;
  if (!IdempotencyKeySchema.safeParse(header).success) {
    throw new ValidationError(`invalid ${HEADER} header`, [
      { field: HEADER, message: 'must be 1–256 printable ASCII characters without spaces' },
    ]);
  }
  if (body !== undefined && body !== header) {
    throw new ValidationError(`idempotencyKey and the ${HEADER} header differ`, [
      { field: 'idempotencyKey', message: `must equal the ${HEADER} header when both are given` },
    ]);
  }
  return header;
}

/**
 * Ingest publishes exactly what `Herald.publish` does (the client's own job
 * builder and enqueue), into the same `{events}` queue; the key decides the app.
 */
export function eventsRoutes(deps: ApiDeps, guard: RouteGuard): Router {
  const router = Router();
  const queue = deps.engine.queues.events;

  router.post('/events', ...guard.ingest, ...jsonBody(deps.settings.apiMaxBodyBytes), async (req, res) => {
    const { key } = callerOf(res);
    const event = parseWith(EventInputSchema, req.body);
    const idempotencyKey = idempotencyKeyOf(req.get(HEADER), event.idempotencyKey);
    const job = buildEventJob({ app: key.appId, type: event.type, data: event.data, idempotencyKey });
    const id = await enqueueEventJob(queue, job);
    if (id === job.id) deps.metrics?.eventsPublished.inc();
    // A repeat of the key answers with the first event's id (202 all the same).
    if (id !== job.id) res.set('idempotent-replayed', 'true');
    res.status(202).json({ id });
  });

  router.post(
    '/events/batch',
    ...guard.ingest,
    ...jsonBody(deps.settings.apiMaxBatchBytes),
    async (req, res) => {
      const { key } = callerOf(res);
      if (req.get(HEADER) !== undefined) {
        throw new ValidationError(`${HEADER} is not taken on a batch`, [
          { field: HEADER, message: 'is not taken on /events/batch: give each event its idempotencyKey' },
        ]);
      }
      const { events } = parseWith(EventBatchSchema, req.body, 'events');
      const jobs = buildEventJobs(events.map((e) => ({ ...e, app: key.appId })));
      const ids = await enqueueEventJobs(queue, jobs);
      // Items that repeated an earlier idempotency key got the original id: not new events.
      deps.metrics?.eventsPublished.inc(ids.filter((id, i) => id === jobs[i]?.id).length);
      res.status(202).json({ ids });
    },
  );

  router.get('/events/:id', ...guard.full, async (req, res) => {
    if (!isId('event', req.params['id'])) throw notFound('event');
    const event = await getEventWithDeliveries(deps.engine, callerOf(res).key.appId, req.params['id']);
    res.json(presentEvent(event));
  });

  return router;
}
