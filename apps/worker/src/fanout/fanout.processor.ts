import { UnrecoverableError, type Job } from 'bullmq';
import {
  buildEventBody,
  matchesEventFilter,
  type DeliveryToEnqueue,
  type FanoutItem,
  type FanoutResult,
  type GroupCommitter,
  type WebhookCache,
} from '@herald/engine';
import type { Logger } from '@herald/logger';
import type { HeraldMetrics } from '@herald/observability';
import { DELIVERY_PRIORITY, parseEventJobData, type EventJobData, type HeraldQueue } from '@herald/queue';
import type { AppLoad } from './app-load.js';
import { DeliveryEnqueuer } from './delivery-enqueuer.js';
import type { InlineAttempts } from './inline-attempts.js';

export interface FanoutDeps {
  cache: WebhookCache;
  committer: GroupCommitter<FanoutItem, FanoutResult>;
  deliveries: HeraldQueue;
  appLoad: AppLoad;
  log: Logger;
  /** First attempts made here rather than through a delivery job (inline-attempts.ts); none when left out. */
  inline?: InlineAttempts | undefined;
  metrics?: Pick<HeraldMetrics, 'firstAttempts'> | undefined;
}

/**
 * Event → the app's matching webhooks → event and delivery rows (group
 * committed) → each pending delivery's first attempt, made here for healthy
 * endpoints (inline-attempts.ts) or as a queued job. Safe to re-run at any
 * point: the rows decide which deliveries are still owed, and job id =
 * delivery id.
 */
export function createFanoutProcessor(deps: FanoutDeps) {
  const enqueuer = new DeliveryEnqueuer(deps.deliveries);
  return async function fanout(job: Job): Promise<number> {
    let event: EventJobData;
    try {
      event = parseEventJobData(job.data);
    } catch {
      deps.log.error({ jobId: job.id }, 'malformed event job dropped');
      throw new UnrecoverableError('malformed event job');
    }
    const targets = await deps.cache.forApp(event.appId);
    const matched = targets.filter((t) => matchesEventFilter(t.eventTypes, event.type));
    const matches = matched.map((t) => ({ webhookId: t.id, deliverable: t.state === 'enabled' }));
    const result = await deps.committer.submit({ event, matches });
    if (result.unknownApp) {
      deps.log.warn({ eventId: event.id, appId: event.appId }, 'event for an unknown app refused');
      throw new UnrecoverableError(`unknown app ${event.appId}`);
    }
    const pending = result.deliveries.filter((d) => d.status === 'pending');
    let inline = 0;
    if (pending.length > 0) {
      const body = buildEventBody(event);
      const isBusy = deps.appLoad.record(event.appId, pending.length);
      const owed: DeliveryToEnqueue[] = pending.map((d) => ({
        deliveryId: d.deliveryId,
        eventId: event.id,
        webhookId: d.webhookId,
        appId: event.appId,
        body,
        attemptOffset: d.attempts,
        scheduleOffset: d.attempts,
      }));
      const priority = isBusy ? DELIVERY_PRIORITY.busyApp : DELIVERY_PRIORITY.normal;
      // A re-run queues the pending deliveries an earlier run left again (same job
      // ids): first attempts are counted once, by the run that created the row.
      const created = new Set(pending.filter((d) => d.created).map((d) => d.deliveryId));
      const countFirst = (path: 'inline' | 'queued', ds: readonly DeliveryToEnqueue[]): void => {
        const n = ds.reduce((sum, d) => sum + (created.has(d.deliveryId) ? 1 : 0), 0);
        if (n > 0) deps.metrics?.firstAttempts.inc({ path }, n);
      };
      // Only while the events queue keeps up: behind a backlog, first attempts
      // go through the deliveries queue, where priorities keep apps fair.
      const here = deps.inline?.keepsUp(job.timestamp, job.processedOn) ? deps.inline : undefined;
      if (!here) {
        countFirst('queued', owed);
        await enqueuer.enqueue(owed, priority);
      } else {
        const byId = new Map(matched.map((t) => [t.id, t]));
        const queued: DeliveryToEnqueue[] = [];
        const attempted: DeliveryToEnqueue[] = [];
        const work: Promise<void>[] = [];
        // Every reserved slot is used (and freed) even if the enqueue fails.
        await Promise.all(
          owed.map(async (d) => {
            const target = byId.get(d.webhookId);
            const failuresBefore = target ? await here.reserve(target) : false;
            if (target && failuresBefore !== false) {
              attempted.push(d);
              work.push(here.attempt(target, d, failuresBefore));
            } else {
              queued.push(d);
            }
          }),
        );
        inline = attempted.length;
        countFirst('inline', attempted);
        countFirst('queued', queued);
        if (queued.length > 0) work.push(enqueuer.enqueue(queued, priority));
        const settled = await Promise.allSettled(work);
        const failed = settled.find((s) => s.status === 'rejected');
        if (failed) throw failed.reason;
      }
    }
    deps.log.debug(
      { eventId: event.id, matched: matches.length, queued: pending.length - inline, inline },
      'event fanned out',
    );
    return pending.length;
  };
}
