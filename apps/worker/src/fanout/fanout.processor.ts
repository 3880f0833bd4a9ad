import { UnrecoverableError, type Job } from 'bullmq';
import {
  buildEventBody,
  matchesEventFilter,
  proposedDeliveryIds,
  type DeliveryTarget,
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

/** A delivery of `event` owed its next attempt, `attempts` made so far (the schedule continues from there). */
function toEnqueue(
  event: EventJobData,
  body: string,
  deliveryId: string,
  webhookId: string,
  attempts: number,
): DeliveryToEnqueue {
  return {
    deliveryId,
    eventId: event.id,
    webhookId,
    appId: event.appId,
    body,
    attemptOffset: attempts,
    scheduleOffset: attempts,
  };
}

/**
 * The first attempts `here` takes a slot for, started before the event's rows
 * are committed (with the delivery ids the rows will have): the POST does not
 * wait for Postgres. Each records its outcome only once its row is committed
 * as this run's; a delivery whose slot was refused is queued after the commit.
 */
async function attemptWhileCommitting(
  here: InlineAttempts,
  item: FanoutItem,
  targets: readonly DeliveryTarget[],
  body: string,
  createdIds: Promise<ReadonlySet<string>>,
): Promise<{ deliveryId: string; work: Promise<void> }[]> {
  const ids = proposedDeliveryIds(item);
  const { event } = item;
  const early: { deliveryId: string; work: Promise<void> }[] = [];
  await Promise.all(
    targets.map(async (target, i) => {
      const deliveryId = ids[i]!;
      if (!item.matches[i]!.deliverable) return;
      const failuresBefore = await here.reserve(target);
      if (failuresBefore === false) return;
      const rowCommitted = createdIds.then((created) => created.has(deliveryId));
      // Awaited by the attempt after its POST; the caller sees a failed commit itself.
      rowCommitted.catch(() => undefined);
      const delivery = toEnqueue(event, body, deliveryId, target.id, 0);
      const work = here.attempt(target, delivery, failuresBefore, rowCommitted);
      // Settled (and its failure thrown) by the caller once the rows are committed.
      work.catch(() => undefined);
      early.push({ deliveryId, work });
    }),
  );
  return early;
}

/**
 * Event → the app's matching webhooks → event and delivery rows (group
 * committed) → each pending delivery's first attempt, made here for healthy
 * endpoints (inline-attempts.ts, started while the rows commit) or as a
 * queued job. Safe to re-run at any point: the rows decide which deliveries
 * are still owed, and job id = delivery id.
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
    const item: FanoutItem = { event, matches };
    const committing = deps.committer.submit(item);
    // The delivery rows this run's write inserted: whose row an early attempt's
    // is, and which first attempts this run counts (a re-run queues the pending
    // deliveries an earlier run left, same job ids, and counts none).
    const createdIds = committing.then(
      (r): ReadonlySet<string> =>
        new Set(r.unknownApp ? [] : r.deliveries.filter((d) => d.created).map((d) => d.deliveryId)),
    );
    // Awaited below, after the early attempts started: a failure before then is not unhandled.
    createdIds.catch(() => undefined);
    const body = matched.length > 0 ? buildEventBody(event) : '';
    // Only on an event job's first run (a re-run's rows may exist already:
    // its pending deliveries are queued) and while the events queue keeps up:
    // behind a backlog, first attempts go through the deliveries queue, where
    // priorities keep apps fair.
    const firstRun = job.attemptsMade === 0 && !job.stalledCounter;
    const here = firstRun && deps.inline?.keepsUp(job.timestamp, job.processedOn) ? deps.inline : undefined;
    const early = here ? await attemptWhileCommitting(here, item, matched, body, createdIds) : [];
    let result: FanoutResult;
    let created: ReadonlySet<string>;
    try {
      [result, created] = await Promise.all([committing, createdIds]);
    } catch (error) {
      await Promise.allSettled(early.map((e) => e.work));
      throw error;
    }
    if (result.unknownApp) {
      await Promise.allSettled(early.map((e) => e.work));
      deps.log.warn({ eventId: event.id, appId: event.appId }, 'event for an unknown app refused');
      throw new UnrecoverableError(`unknown app ${event.appId}`);
    }
    const countFirst = (path: 'inline' | 'queued', ids: readonly string[]): void => {
      const n = ids.reduce((sum, id) => sum + (created.has(id) ? 1 : 0), 0);
      if (n > 0) deps.metrics?.firstAttempts.inc({ path }, n);
    };
    // An early attempt whose row is another run's recorded nothing (attempt.ts): its delivery is still owed.
    const inline = early.filter((e) => created.has(e.deliveryId)).map((e) => e.deliveryId);
    const madeHere = new Set(inline);
    const pending = result.deliveries.filter((d) => d.status === 'pending');
    const owed: DeliveryToEnqueue[] = pending
      .filter((d) => !madeHere.has(d.deliveryId))
      .map((d) => toEnqueue(event, body, d.deliveryId, d.webhookId, d.attempts));
    countFirst('inline', inline);
    countFirst(
      'queued',
      owed.map((d) => d.deliveryId),
    );
    const isBusy = pending.length > 0 && deps.appLoad.record(event.appId, pending.length);
    const work = early.map((e) => e.work);
    if (owed.length > 0) {
      work.push(enqueuer.enqueue(owed, isBusy ? DELIVERY_PRIORITY.busyApp : DELIVERY_PRIORITY.normal));
    }
    // Every attempt and the enqueue settle before the job is acknowledged (or failed).
    const settled = await Promise.allSettled(work);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    deps.log.debug(
      { eventId: event.id, matched: matches.length, queued: owed.length, inline: inline.length },
      'event fanned out',
    );
    return pending.length;
  };
}
