import type { Job } from 'bullmq';
import type { Db, WebhookFormat } from '@herald/db';
import {
  EndpointGate,
  GroupCommitter,
  WebhookCache,
  createDeliveryRecorder,
  createEngine,
  enqueueDeliveries,
  pruneOldData,
  reconcileDeliveries,
  writeFanout,
  type Engine,
  type FanoutItem,
  type FanoutResult,
  type PlatformPace,
  type ChangeSubscription,
  type SharedState,
} from '@herald/engine';
import type { Logger } from '@herald/logger';
import { createGuardedAgent, type Resolver } from '@herald/net';
import type { HeraldMetrics } from '@herald/observability';
import { DELIVERY_PRIORITY, QUEUE_NAMES, type QueueBackend } from '@herald/queue';
import type { SecretKeyring } from '@herald/signing';
import { createAttempter } from './deliver/attempt.js';
import { createDeliverProcessor, heraldBackoff } from './deliver/deliver.processor.js';
import { HealthyEndpoints } from './deliver/healthy-endpoints.js';
import { createSender } from './deliver/http-sender.js';
import { AppLoad } from './fanout/app-load.js';
import { createFanoutProcessor } from './fanout/fanout.processor.js';
import { InlineAttempts } from './fanout/inline-attempts.js';

export interface WorkerDeps {
  db: Db;
  /** Where the queues live (Redis or Postgres); the worker creates its BullMQ workers through it. */
  queueBackend: QueueBackend;
  /** Endpoint gate and webhook change feed, on the queue backend's datastore. */
  shared: SharedState;
  log: Logger;
  keyring: SecretKeyring;
  concurrency: number;
  retryScheduleMs: readonly number[];
  deliveryTimeoutMs: number;
  allowPrivateNetworks: boolean;
  breakerFailures: number;
  breakerOpenMs: number;
  disableAfterMs: number;
  /** How often the reconciler looks for deliveries whose job was lost. */
  reconcileEveryMs?: number;
  /** Retention (HERALD_RETENTION / HERALD_PAYLOAD_RETENTION); pruning runs hourly in bounded batches. */
  retentionMs?: number;
  payloadRetentionMs?: number;
  /** A delivery counts as lost once this overdue with no job. */
  reconcileOverdueMs?: number;
  /** How long SIGTERM waits for in-flight jobs before handing them back. */
  shutdownTimeoutMs?: number;
  resolveHost?: Resolver;
  /** Deliveries per second (per process) above which an app's new deliveries yield to other apps'. */
  busyAppPerSecond?: number;
  /** Prometheus metrics to record into (the process serves them); none when left out. */
  metrics?: HeraldMetrics;
  /** Per-format pace of each webhook (default `PLATFORM_PACING`); tests pass a short one. */
  platformPacing?: Readonly<Partial<Record<WebhookFormat, PlatformPace>>>;
  /**
   * Healthy endpoints' first attempts made by the fan-out, without a delivery
   * job (fanout/inline-attempts.ts). Default true; false sends every attempt
   * through the deliveries queue.
   */
  inlineFirstAttempts?: boolean;
  /** Longest wait in the events queue that still counts as keeping up (default INLINE_MAX_QUEUE_WAIT_MS). */
  inlineMaxQueueWaitMs?: number;
}

/**
 * How long a small batch of rows waits for company before it is written
 * (GroupCommitter's lingerMs): at a low rate several jobs then share one
 * statement and one commit. The fan-out's rows: 5 ms, since a queued
 * delivery's job is added only after they commit (an inline first attempt's
 * POST goes out while they commit and does not wait). At 500 events/s it cut
 * Postgres CPU per event from ~800 to ~500 µs.
 */
export const FANOUT_COMMIT_LINGER_MS = 5;
/**
 * The outcomes' linger, longer: an outcome is written after its POST, so no
 * receipt waits for it, and a retry it schedules is seconds away. Only the
 * job's acknowledgement (and its slot) waits. At 500 events/s, 5 → 25 ms:
 * Postgres CPU per event 391–460 → 353–356 µs (two paired runs).
 */
export const OUTCOME_COMMIT_LINGER_MS = 25;

/** After the shutdown deadline cut the HTTP exchanges short, how long their jobs get to record that. */
export const HAND_BACK_MS = 5_000;

/** What an attempt cut short by shutdown fails with (http-sender.ts records it as a network error). */
function shutdownError(): Error {
  return Object.assign(new Error('the worker shut down mid-attempt'), { code: 'HERALD_SHUTDOWN' });
}

/** BullMQ's "job stalled more than allowable limit" (its worker died twice mid-job). */
function isStallFailure(error: Error): boolean {
  return /stall/i.test(error.message);
}

/** True when `promise` settled within `ms` (the timer does not outlive the race). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface HeraldWorker {
  engine: Engine;
  start(): Promise<void>;
  /**
   * Stops taking jobs and finishes in-flight ones; past the deadline, cuts
   * their HTTP exchanges short (retried later) or hands them back; flushes
   * records. Calling it again returns the same shutdown.
   */
  close(): Promise<void>;
}

/** Builds the worker without starting it (tests build it with their own dependencies). */
export function createWorker(deps: WorkerDeps): HeraldWorker {
  const { log, metrics } = deps;
  const engine = createEngine({
    db: deps.db,
    queue: deps.queueBackend,
    shared: deps.shared,
    keyring: deps.keyring,
    allowPrivateNetworks: deps.allowPrivateNetworks,
    ...(deps.resolveHost ? { resolveHost: deps.resolveHost } : {}),
  });
  const cache = new WebhookCache({ db: deps.db, keyring: deps.keyring });
  let changes: ChangeSubscription | undefined;
  const gate = new EndpointGate({
    store: deps.shared.gate,
    breakerFailures: deps.breakerFailures,
    breakerOpenMs: deps.breakerOpenMs,
    probeTimeoutMs: deps.deliveryTimeoutMs * 2,
    ...(metrics ? { onCircuitOpen: () => metrics.circuitOpens.inc() } : {}),
  });
  const onRetry = (error: unknown, delayMs: number, batchSize: number): void => {
    log.warn({ err: (error as Error).message, delayMs, batchSize }, 'postgres write failed; retrying');
  };
  const recorder = createDeliveryRecorder(deps.db, {
    disableAfterMs: deps.disableAfterMs,
    lingerMs: OUTCOME_COMMIT_LINGER_MS,
    onRetry,
    ...(metrics
      ? {
          onBatch: (size: number, oldestWaitMs: number, results: readonly { disabled: unknown[] }[]) => {
            metrics.recordBatch(size, oldestWaitMs);
            // Every item of a batch shares its effects: count the disabled webhooks once.
            if (results[0]?.disabled.length) metrics.webhooksDisabled.inc(results[0].disabled.length);
          },
        }
      : {}),
  });
  const fanoutCommitter = new GroupCommitter<FanoutItem, FanoutResult>({
    write: (items) => writeFanout(deps.db, items),
    // The next batch starts while one commits: an event waits about one write, not up to two.
    maxInFlight: 2,
    lingerMs: FANOUT_COMMIT_LINGER_MS,
    onRetry,
  });
  const agent = createGuardedAgent({
    allowPrivateNetworks: deps.allowPrivateNetworks,
    connectTimeoutMs: Math.min(10_000, deps.deliveryTimeoutMs),
    ...(deps.resolveHost ? { resolve: deps.resolveHost } : {}),
    agentOptions: { keepAliveTimeout: 30_000, connections: 64 },
    onBlocked: (info) => {
      metrics?.ssrfBlocked.inc();
      log.warn({ host: info.host, address: info.address, reason: info.reason }, 'connection blocked');
    },
  });
  const send = createSender({ dispatcher: agent, timeoutMs: deps.deliveryTimeoutMs });

  const healthy = new HealthyEndpoints();
  const attempt = createAttempter({
    gate,
    recorder,
    send,
    policy: { scheduleMs: deps.retryScheduleMs },
    log,
    notifyChanged: (appId) => deps.shared.webhookChanges.notify(appId),
    metrics,
    healthy,
    now: Date.now,
    random: Math.random,
  });
  const fanoutConcurrency = Math.max(10, Math.ceil(deps.concurrency / 2));
  const inline =
    deps.inlineFirstAttempts === false
      ? undefined
      : new InlineAttempts({
          gate,
          healthy,
          attempt,
          maxTotal: Math.max(1, Math.floor(fanoutConcurrency / 2)),
          platformPacing: deps.platformPacing,
          ...(deps.inlineMaxQueueWaitMs === undefined ? {} : { maxQueueWaitMs: deps.inlineMaxQueueWaitMs }),
          retry: (delivery, delayMs) =>
            enqueueDeliveries(engine.queues.deliveries, [delivery], {
              priority: DELIVERY_PRIORITY.retry,
              delayMs,
            }),
        });

  const backend = deps.queueBackend;
  // DESIGN §5: a slow receiver must not look stalled (lock = 2 × timeout), and a
  // killed worker's jobs come back within about one lock duration.
  const lockDuration = 2 * deps.deliveryTimeoutMs;
  const deliveries = backend.createWorker(
    QUEUE_NAMES.deliveries,
    createDeliverProcessor({
      cache,
      gate,
      attempt,
      recorder,
      log,
      platformPacing: deps.platformPacing,
      healthy,
    }),
    {
      concurrency: deps.concurrency,
      lockDuration,
      stalledInterval: lockDuration / 2,
      maxStalledCount: 1,
      settings: { backoffStrategy: heraldBackoff },
      autorun: false,
    },
  );
  const events = backend.createWorker(
    QUEUE_NAMES.events,
    createFanoutProcessor({
      cache,
      committer: fanoutCommitter,
      deliveries: engine.queues.deliveries,
      appLoad: new AppLoad({ busyPerSecond: deps.busyAppPerSecond ?? 200 }),
      log,
      inline,
      metrics,
    }),
    {
      concurrency: fanoutConcurrency,
      // Same lease as deliveries: a killed worker's fan-outs come back as fast.
      lockDuration,
      stalledInterval: lockDuration / 2,
      autorun: false,
    },
  );
  const maintenance = backend.createWorker(
    QUEUE_NAMES.maintenance,
    async (job: Job) => {
      if (job.name === 'reconcile') {
        const result = await reconcileDeliveries(engine, { overdueMs: deps.reconcileOverdueMs ?? 120_000 });
        if (result.requeued + result.released > 0) {
          log.warn(result, 'reconciler re-queued lost deliveries or released stranded held ones');
        }
        return result;
      }
      if (job.name === 'prune') {
        const now = Date.now();
        const retentionMs = deps.retentionMs ?? 30 * 86_400_000;
        const result = await pruneOldData(deps.db, {
          olderThan: new Date(now - retentionMs),
          payloadOlderThan: new Date(now - (deps.payloadRetentionMs ?? retentionMs)),
        });
        if (result.eventsDeleted + result.payloadsDropped > 0) log.info(result, 'retention pruned old data');
        return result;
      }
      return undefined;
    },
    { concurrency: 1, autorun: false },
  );
  const workers = [deliveries, events, maintenance];
  metrics?.watchQueues([engine.queues.events, engine.queues.deliveries, engine.queues.maintenance]);
  for (const worker of workers) {
    worker.on('error', (error) =>
      log.error({ err: error.message, queue: worker.name }, 'queue worker error'),
    );
  }
  // A job whose worker died twice mid-attempt is failed by BullMQ as stalled
  // without our processor running: put it straight back.
  deliveries.on('failed', (job, error) => {
    if (!job?.id || !isStallFailure(error)) return;
    log.warn({ deliveryId: job.id }, 'delivery job stalled; re-queueing');
    reconcileDeliveries(engine, { deliveryIds: [job.id] }).catch((e: unknown) =>
      log.error({ err: (e as Error).message, deliveryId: job.id }, 're-queue after stall failed'),
    );
  });
  // An event's fan-out stalled twice the same way: it has no row yet for the
  // reconciler to find, so the job itself goes back, as one of its attempts
  // (a fan-out that keeps killing its worker ends failed, kept a day, like one that keeps failing).
  events.on('failed', (job, error) => {
    if (!job?.id || !isStallFailure(error)) return;
    if (job.attemptsMade >= (job.opts.attempts ?? 1)) {
      log.error(
        { eventId: job.id, attemptsMade: job.attemptsMade },
        'event job stalled on its last attempt; left failed',
      );
      return;
    }
    log.warn({ eventId: job.id }, 'event job stalled; re-queueing');
    job
      .retry('failed')
      .catch((e: unknown) =>
        log.error({ err: (e as Error).message, eventId: job.id }, 're-queue after stall failed'),
      );
  });

  let closing: Promise<void> | undefined;
  /**
   * SIGTERM: stop taking jobs and let those in flight finish within the
   * deadline. Past it, in-flight HTTP exchanges are cut short — each attempt
   * is recorded as a network error and its retry scheduled, as if the
   * receiver had dropped the connection. Jobs still running after a further
   * HAND_BACK_MS (a stuck write, say) are handed back: the worker closes
   * without them, and their locks lapse so another worker takes them up.
   */
  async function shutdown(): Promise<void> {
    const deadlineMs = deps.shutdownTimeoutMs ?? 30_000;
    // pause() waits for the jobs in flight, and can be left behind: BullMQ's
    // close() cannot be hurried once called (close(true) after close() returns the first call's promise).
    const drained = Promise.all(workers.map((w) => w.pause())).then(
      () => true,
      () => true,
    );
    let cutShort = false;
    let late = !(await settlesWithin(drained, deadlineMs));
    if (late) {
      log.warn(
        { deadlineMs },
        'in-flight attempts did not finish in time; cutting them short to retry later',
      );
      cutShort = true;
      await agent.destroy(shutdownError());
      late = !(await settlesWithin(drained, HAND_BACK_MS));
      if (late) log.warn({ waitedMs: HAND_BACK_MS }, 'jobs still running; handing them back to the queue');
    }
    await Promise.all(workers.map((w) => w.close(late)));
    await Promise.all([recorder.flush(), fanoutCommitter.flush()]);
    await engine.close();
    if (!cutShort) await agent.close();
    await changes?.close();
    log.info('worker stopped taking jobs');
  }

  return {
    engine,
    async start() {
      changes = await cache.subscribe(deps.shared.webhookChanges);
      const maintenanceQueue = engine.queues.maintenance;
      await maintenanceQueue.upsertJobScheduler(
        'reconcile',
        { every: deps.reconcileEveryMs ?? 60_000 },
        { name: 'reconcile', opts: { removeOnComplete: true, removeOnFail: 100 } },
      );
      await maintenanceQueue.upsertJobScheduler(
        'prune',
        { every: 3_600_000 },
        { name: 'prune', opts: { removeOnComplete: true, removeOnFail: 100 } },
      );
      for (const worker of workers) void worker.run();
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      log.info({ concurrency: deps.concurrency }, 'worker started');
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
