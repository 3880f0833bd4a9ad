import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, Worker, createPostgresBackend, type Job } from 'bullmq';
import { openEmbeddedDatabase } from '@herald/embedded';
import { BENCH_JOB_OPTIONS, JOB_NAME, WORKER_CONCURRENCY } from '../lib/bullmq.js';
import type { BenchContext, Scenario } from '../lib/context.js';
import type { Figure } from '../lib/report.js';
import { medianOfRounds, percentile, perSecond } from '../lib/stats.js';

const QUEUE_NAME = '{embedded-noop}';
const JOBS = 2_000;
const ADD_CHUNK = 100;
const WAKE_SAMPLES = 15;
/** Long enough that the worker is blocked waiting when the job arrives. */
const WAKE_IDLE_MS = 200;
const DRAIN_TIMEOUT_MS = 300_000;

interface NoopData {
  n: number;
}

/** What the measurements need of a queue and its worker, whichever backend they run on. */
interface Pair {
  addBulk(count: number): Promise<void>;
  add(): Promise<void>;
  /** Resolves once `count` more jobs completed. */
  completions(count: number): Promise<void>;
  /** Resolves with the time (performance.now()) the processor starts the next job. */
  nextStart(): Promise<number>;
  close(): Promise<void>;
}

/**
 * BullMQ on the embedded database (PGlite through @herald/embedded's pool,
 * BullMQ's Postgres backend) beside BullMQ on Redis, same processor, same
 * concurrency, same run: add + process of 2,000 no-op jobs, and how soon an
 * idle worker starts a job added to an empty queue (LISTEN/NOTIFY vs BZPOPMIN).
 */
export const embeddedNoop: Scenario = {
  name: 'embedded-noop',
  async run(ctx) {
    const redis = createPair(ctx, (processor) => ({
      queue: new Queue<NoopData>(QUEUE_NAME, {
        connection: ctx.connect('embedded-noop-queue'),
        prefix: ctx.prefix,
        defaultJobOptions: BENCH_JOB_OPTIONS,
      }),
      worker: new Worker<NoopData>(QUEUE_NAME, processor, {
        connection: ctx.connect('embedded-noop-worker'),
        prefix: ctx.prefix,
        concurrency: WORKER_CONCURRENCY,
      }),
    }));
    const redisFigures = await measure(ctx, 'redis', redis);

    const dir = await mkdtemp(path.join(tmpdir(), 'herald-bench-embedded-'));
    try {
      const started = performance.now();
      const embedded = await openEmbeddedDatabase({ dataDir: path.join(dir, 'data') });
      try {
        await embedded.migrate();
        ctx.log(
          `embedded-noop: PGlite initdb + migrations took ${Math.round(performance.now() - started)} ms`,
        );
        const pglite = createPair(ctx, (processor) => ({
          queue: new Queue(
            QUEUE_NAME,
            { connection: embedded.pool, defaultJobOptions: BENCH_JOB_OPTIONS },
            createPostgresBackend,
          ),
          worker: new Worker(
            QUEUE_NAME,
            processor,
            { connection: embedded.pool, concurrency: WORKER_CONCURRENCY },
            createPostgresBackend,
          ),
        }));
        const embeddedFigures = await measure(ctx, 'embedded', pglite);
        return [
          ...redisFigures,
          ...embeddedFigures,
          {
            key: 'ratio_embedded_add_process',
            label: 'embedded ÷ redis, add+process',
            value: (embeddedFigures[0]?.value ?? 0) / (redisFigures[0]?.value ?? 1),
            unit: 'x',
          },
        ];
      } finally {
        await embedded.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

interface BullPair<Q, W> {
  queue: Q;
  worker: W;
}

type NoopQueue = Pick<Queue<NoopData>, 'add' | 'addBulk' | 'close'>;

/** The worker events used here; Worker's own `on` returns `this`, which differs per backend. */
interface NoopWorker {
  on(event: 'completed', listener: () => void): unknown;
  on(event: 'failed', listener: (job: Job | undefined, error: Error) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'completed', listener: () => void): unknown;
  off(event: 'failed', listener: (job: Job | undefined, error: Error) => void): unknown;
  close(): Promise<void>;
}

function createPair(
  ctx: BenchContext,
  build: (processor: (job: Job<NoopData>) => Promise<void>) => BullPair<NoopQueue, NoopWorker>,
): Pair {
  const startWaiters: ((at: number) => void)[] = [];
  const { queue, worker } = build(() => {
    const at = performance.now();
    for (const waiter of startWaiters.splice(0)) waiter(at);
    return Promise.resolve();
  });
  worker.on('error', (error: Error) => ctx.log(`embedded-noop worker error: ${error.message}`));
  let n = 0;
  return {
    async addBulk(count) {
      for (let added = 0; added < count; added += ADD_CHUNK) {
        const size = Math.min(ADD_CHUNK, count - added);
        await queue.addBulk(Array.from({ length: size }, () => ({ name: JOB_NAME, data: { n: ++n } })));
      }
    },
    async add() {
      await queue.add(JOB_NAME, { n: ++n });
    },
    completions(count) {
      return new Promise((resolve, reject) => {
        let completed = 0;
        const timer = setTimeout(
          () => settle(new Error(`only ${completed}/${count} completed`)),
          DRAIN_TIMEOUT_MS,
        );
        const onCompleted = () => {
          completed += 1;
          if (completed >= count) settle();
        };
        const onFailed = (_job: unknown, error: Error) => settle(error);
        function settle(error?: Error) {
          clearTimeout(timer);
          worker.off('completed', onCompleted);
          worker.off('failed', onFailed);
          if (error) reject(error);
          else resolve();
        }
        worker.on('completed', onCompleted);
        worker.on('failed', onFailed);
      });
    },
    nextStart() {
      return new Promise((resolve) => startWaiters.push(resolve));
    },
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}

async function measure(ctx: BenchContext, backend: 'redis' | 'embedded', pair: Pair): Promise<Figure[]> {
  try {
    // Warm-up: connections, prepared paths, JIT.
    await Promise.all([pair.completions(200), pair.addBulk(200)]);
    const addProcessPerS = await medianOfRounds(
      `embedded-noop ${backend} add+process, jobs/s`,
      ctx.log,
      async () => {
        const started = performance.now();
        await Promise.all([pair.completions(JOBS), pair.addBulk(JOBS)]);
        return perSecond(JOBS, performance.now() - started);
      },
    );
    const wakeMs: number[] = [];
    for (let sample = 0; sample < WAKE_SAMPLES; sample += 1) {
      ctx.signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, WAKE_IDLE_MS));
      const started = performance.now();
      const [startedAt] = await Promise.all([pair.nextStart(), pair.add()]);
      wakeMs.push(startedAt - started);
    }
    return [
      {
        key: `${backend}_add_process_per_s`,
        label: `${backend}: add+process ${JOBS} no-op jobs`,
        value: addProcessPerS,
        unit: 'jobs/s',
      },
      {
        key: `${backend}_wake_p50_ms`,
        label: `${backend}: idle worker, add → start (p50)`,
        value: percentile(wakeMs, 50),
        unit: 'ms',
      },
    ];
  } finally {
    await pair.close();
  }
}
