import { UnrecoverableError, type Job } from 'bullmq';
import {
  buildEventBody,
  matchesEventFilter,
  type FanoutItem,
  type FanoutResult,
  type GroupCommitter,
  type WebhookCache,
} from '@herald/engine';
import type { Logger } from '@herald/logger';
import { DELIVERY_PRIORITY, parseEventJobData, type EventJobData, type HeraldQueue } from '@herald/queue';
import type { AppLoad } from './app-load.js';
import { DeliveryEnqueuer } from './delivery-enqueuer.js';

export interface FanoutDeps {
  cache: WebhookCache;
  committer: GroupCommitter<FanoutItem, FanoutResult>;
  deliveries: HeraldQueue;
  appLoad: AppLoad;
  log: Logger;
}

/**
 * Event → the app's matching webhooks → event and delivery rows (group
 * committed) → one job per pending delivery. Safe to re-run at any point:
 * the rows decide which jobs are still owed, and job id = delivery id.
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
    const matches = targets
      .filter((t) => matchesEventFilter(t.eventTypes, event.type))
      .map((t) => ({ webhookId: t.id, deliverable: t.state === 'enabled' }));
    const result = await deps.committer.submit({ event, matches });
    if (result.unknownApp) {
      deps.log.warn({ eventId: event.id, appId: event.appId }, 'event for an unknown app refused');
      throw new UnrecoverableError(`unknown app ${event.appId}`);
    }
    const pending = result.deliveries.filter((d) => d.status === 'pending');
    if (pending.length > 0) {
      const body = buildEventBody(event);
      const isBusy = deps.appLoad.record(event.appId, pending.length);
      await enqueuer.enqueue(
        pending.map((d) => ({
          deliveryId: d.deliveryId,
          eventId: event.id,
          webhookId: d.webhookId,
          appId: event.appId,
          body,
          attemptOffset: d.attempts,
          scheduleOffset: d.attempts,
        })),
        isBusy ? DELIVERY_PRIORITY.busyApp : DELIVERY_PRIORITY.normal,
      );
    }
    deps.log.debug(
      { eventId: event.id, matched: matches.length, queued: pending.length },
      'event fanned out',
    );
    return pending.length;
  };
}
