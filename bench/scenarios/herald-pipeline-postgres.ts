import { randomBytes } from 'node:crypto';
import type { Scenario } from '../lib/context.js';
import { withCleanup } from '../lib/cleanup.js';
import { loginEventMaker, publishInBatches } from '../lib/login-events.js';
import { createBenchDatabase, startHeraldWorker } from '../lib/herald-env.js';
import { produceAtRate } from '../lib/rate.js';
import type { Figure } from '../lib/report.js';
import { startSink } from '../lib/sink.js';
import { percentile, perSecond } from '../lib/stats.js';
import { sleep, waitUntil } from '../lib/timing.js';
import { parseEnqueuedAtMs } from '../lib/webhook.js';
import {
  CLI_ACTOR,
  createApp,
  createEngine,
  createKeyring,
  createPostgresQueueBackend,
  createQueuePool,
  createSharedState,
  createWebhook,
  Herald,
  migrateQueueSchema,
  type Db,
} from '../lib/workspace.js';

// Short on purpose (one drain round, a few seconds at the latency rate):
// it shows where Postgres-only mode stands beside the Redis pipeline, not a
// tuned figure. Same worker concurrency and event body as herald-pipeline.
const WORKER_CONCURRENCY = 200;
const WARMUP_EVENTS = 500;
const DRAIN_EVENTS = 2_000;
const PUBLISH_BATCH = 500;
/** Below what Postgres-only mode drains on a small machine, so latency is not queueing. */
const LATENCY_RATE_PER_S = 50;
const LATENCY_WARMUP_S = 1;
const LATENCY_MEASURE_S = 4;
const READY_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 90_000;
const COMMIT_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const SCENARIO_BUDGET_MS = 180_000;

async function committedAttempts(db: Db): Promise<number> {
  const { n } = await db
    .selectFrom('delivery_attempts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n);
}

/**
 * Herald end to end with HERALD_QUEUE_BACKEND=postgres: the queues are
 * BullMQ's Postgres backend (schema `bullmq`) in the same database as
 * Herald's rows, the endpoint gate and change feed too; no Redis involved.
 */
export const heraldPipelinePostgres: Scenario = {
  name: 'herald-pipeline-postgres',
  run: (ctx) =>
    withCleanup(ctx.log, async (cleanup) => {
      const budgetEnds = performance.now() + SCENARIO_BUDGET_MS;
      let lastReceivedAt = 0;
      let recordFrom = Number.POSITIVE_INFINITY;
      const latenciesMs: number[] = [];
      const sink = await startSink({
        onReceive(body, receivedAt) {
          lastReceivedAt = receivedAt;
          try {
            const publishedAt = parseEnqueuedAtMs(body);
            if (publishedAt >= recordFrom) latenciesMs.push(receivedAt - publishedAt);
          } catch {
            // Counted by the sink; the totals check below catches a mismatch.
          }
        },
      });
      cleanup.defer('close sink', () => sink.close());

      const database = await createBenchDatabase();
      cleanup.defer(`drop database ${database.name}`, () => database.drop());
      const pool = createQueuePool({
        connectionString: database.url,
        max: 10,
        applicationName: 'herald-bench-queue',
      });
      cleanup.defer('end queue pool', () => pool.end());
      await migrateQueueSchema(pool);
      ctx.log(`herald-pipeline-postgres: database ${database.name} (queues in schema bullmq)`);

      const secretKey = randomBytes(32);
      const queueBackend = createPostgresQueueBackend(pool);
      const engine = createEngine({
        db: database.db,
        queue: queueBackend,
        shared: createSharedState({ kind: 'postgres', pool }),
        keyring: createKeyring(secretKey, []),
        allowPrivateNetworks: true,
      });
      cleanup.defer('close engine queues', () => engine.close());
      const app = await createApp(database.db, CLI_ACTOR, { name: 'bench' });
      await createWebhook(engine, CLI_ACTOR, app.id, { url: `${sink.origin}/webhook` });

      const worker = await startHeraldWorker(
        {
          databaseUrl: database.url,
          redisUrl: ctx.redisUrl,
          queuePrefix: `${ctx.prefix}-hpp`,
          secretKey,
          concurrency: WORKER_CONCURRENCY,
          queueBackend: 'postgres',
        },
        READY_TIMEOUT_MS,
      );
      cleanup.defer(`stop worker ${worker.pid}`, async () => {
        await worker.stop(STOP_TIMEOUT_MS);
      });
      const herald = new Herald({ queueBackend });
      cleanup.defer('close client', () => herald.close());

      const makeEvent = loginEventMaker(app.id);
      const publishEvents = (count: number): Promise<void> =>
        publishInBatches(herald, makeEvent, count, PUBLISH_BATCH);
      const guard = (): void => {
        ctx.signal.throwIfAborted();
        worker.assertAlive();
        if (performance.now() > budgetEnds) {
          throw new Error(`herald-pipeline-postgres went past its ${SCENARIO_BUDGET_MS / 1000} s budget`);
        }
      };
      const waitForSink = (expected: number, timeoutMs: number): Promise<void> =>
        waitUntil(
          () => {
            guard();
            return sink.received >= expected;
          },
          timeoutMs,
          () => `sink received ${sink.received}/${expected}`,
        );
      const waitForCommitted = async (expected: number): Promise<number> => {
        const deadline = performance.now() + COMMIT_TIMEOUT_MS;
        while ((await committedAttempts(database.db)) < expected) {
          guard();
          if (performance.now() > deadline)
            throw new Error(`attempts not committed within ${COMMIT_TIMEOUT_MS} ms`);
          await sleep(10);
        }
        return performance.now();
      };

      let published = WARMUP_EVENTS;
      await publishEvents(WARMUP_EVENTS);
      await waitForSink(published, DRAIN_TIMEOUT_MS);
      await waitForCommitted(published);

      // One drain round, as herald-pipeline measures it: fill the paused queue, time from resume.
      await engine.queues.events.pause();
      await publishEvents(DRAIN_EVENTS);
      published += DRAIN_EVENTS;
      const started = performance.now();
      await engine.queues.events.resume();
      await waitForSink(published, DRAIN_TIMEOUT_MS);
      const deliveriesPerS = perSecond(DRAIN_EVENTS, lastReceivedAt - started);
      const committedPerS = perSecond(DRAIN_EVENTS, (await waitForCommitted(published)) - started);
      ctx.log(`herald-pipeline-postgres: drain ${Math.round(deliveriesPerS)} deliveries/s`);

      const latencyEvents = LATENCY_RATE_PER_S * (LATENCY_WARMUP_S + LATENCY_MEASURE_S);
      recordFrom = performance.now() + LATENCY_WARMUP_S * 1000;
      await produceAtRate(LATENCY_RATE_PER_S, latencyEvents, () => {
        guard();
        return herald.publish(makeEvent());
      });
      published += latencyEvents;
      await waitForSink(published, DRAIN_TIMEOUT_MS);
      await waitForCommitted(published);
      const ok = sink.received === published && (await committedAttempts(database.db)) === published;
      const memory = await worker.memoryMb();

      const figures: Figure[] = [
        {
          key: 'pg_deliveries_per_s',
          label: 'Postgres-only drain, publish→signed POST (to receipt)',
          value: deliveriesPerS,
          unit: 'deliveries/s',
        },
        {
          key: 'pg_committed_per_s',
          label: 'Postgres-only drain, to attempt committed',
          value: committedPerS,
          unit: 'deliveries/s',
        },
        {
          key: `pg_p50_ms_at_${LATENCY_RATE_PER_S}`,
          label: `Postgres-only p50 publish→receipt at ${LATENCY_RATE_PER_S}/s`,
          value: percentile(latenciesMs, 50),
          unit: 'ms',
        },
        {
          key: `pg_p99_ms_at_${LATENCY_RATE_PER_S}`,
          label: `Postgres-only p99 publish→receipt at ${LATENCY_RATE_PER_S}/s`,
          value: percentile(latenciesMs, 99),
          unit: 'ms',
        },
        {
          key: 'pg_worker_rss_mb',
          label: 'Postgres-only worker RSS at the end',
          value: memory.rss,
          unit: 'MB',
        },
        {
          key: 'pg_committed_ok',
          label: 'Postgres-only: every event delivered once, attempt committed',
          value: ok ? 1 : 0,
          unit: 'flag',
        },
      ];
      return figures;
    }),
};
