import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import type { BenchContext } from './context.js';
import { redisCpuMs } from './cpu.js';
import type { RawDeliveryData } from './webhook.js';
import { percentile, perSecond, ROUNDS } from './stats.js';

/**
 * Every bench job removes itself when done, so Redis memory stays bounded by
 * the backlog rather than by the number of jobs a run pushes through.
 */
export const BENCH_JOB_OPTIONS = {
  removeOnComplete: true,
  removeOnFail: { count: 100 },
} as const satisfies JobsOptions;

export const JOB_NAME = 'bench';

/** The raw producer's job body (what raw-publish and the paired publish rounds add). */
export function rawJobMaker(): () => RawDeliveryData {
  let n = 0;
  return () => ({ userId: `usr_${++n}`, enqueuedAtMs: performance.now() });
}

/** `count` raw jobs in addBulk calls of `size`, one call at a time. */
export async function addBulkInChunks(
  queue: Queue<RawDeliveryData>,
  makeData: () => RawDeliveryData,
  count: number,
  size: number,
): Promise<void> {
  for (let added = 0; added < count; added += size) {
    const n = Math.min(size, count - added);
    await queue.addBulk(Array.from({ length: n }, () => ({ name: JOB_NAME, data: makeData() })));
  }
}

/** The worker concurrency of every throughput scenario (DESIGN.md §9 measured at 100). */
export const WORKER_CONCURRENCY = 100;

/** Big enough to amortise the round trip, small enough not to stall Redis on one pipeline. */
const ADD_CHUNK = 1_000;

/** Jobs pushed through before the clock starts, so JIT and connection set-up are paid for. */
export const WARMUP_JOBS = 1_000;

/** No drain in this bench should take close to this; hitting it means something is broken. */
const DRAIN_TIMEOUT_MS = 60_000;

/**
 * Resolves after `count` more jobs completed on `worker`; rejects on the
 * first failed job (a baseline that fails jobs measures nothing) or after
 * `timeoutMs`.
 */
export function waitForCompletions(
  worker: Worker<RawDeliveryData>,
  count: number,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let completed = 0;
    const onCompleted = (): void => {
      completed += 1;
      if (completed >= count) settle();
    };
    const onFailed = (job: Job<RawDeliveryData> | undefined, error: Error): void => {
      settle(new Error(`job ${job?.id ?? '?'} failed: ${error.message}`));
    };
    const timer = setTimeout(
      () => settle(new Error(`only ${completed}/${count} jobs completed within ${timeoutMs} ms`)),
      timeoutMs,
    );
    function settle(error?: Error): void {
      clearTimeout(timer);
      worker.off('completed', onCompleted);
      worker.off('failed', onFailed);
      if (error) reject(error);
      else resolve();
    }
    worker.on('completed', onCompleted);
    worker.on('failed', onFailed);
  });
}

export async function addInChunks(
  queue: Queue<RawDeliveryData>,
  count: number,
  makeData: () => RawDeliveryData,
): Promise<void> {
  for (let added = 0; added < count; added += ADD_CHUNK) {
    const size = Math.min(ADD_CHUNK, count - added);
    await queue.addBulk(Array.from({ length: size }, () => ({ name: JOB_NAME, data: makeData() })));
  }
}

export interface DrainFigures {
  /** Median of the rounds. */
  readonly perS: number;
  /**
   * This process's CPU time (user + system) per job while draining, median of
   * the rounds: the worker, and the sink when the scenario has one, since both
   * live in the bench process. Herald's worker runs in a process of its own,
   * so its figure leaves the sink out; this one is the upper bound of the raw cost.
   */
  readonly cpuUsPerJob: number;
  /** The Redis server's CPU time per job while draining, median of the rounds. */
  readonly redisCpuUsPerJob: number;
}

/**
 * Drain throughput: warm up once, then per round fill the queue while it is
 * paused and time from resume until the last job completed. Enqueueing first
 * keeps the producer's cost out of the figure; the worker is already connected
 * and blocked on the queue, as a long-running worker would be.
 */
export async function measureDrainPerSecond(
  ctx: BenchContext,
  pair: QueuePair,
  jobs: number,
  makeData: () => RawDeliveryData,
): Promise<DrainFigures> {
  const { queue, worker } = pair;
  // Promise.all attaches both handlers at once, so an early failure is never unhandled.
  await Promise.all([
    waitForCompletions(worker, WARMUP_JOBS, DRAIN_TIMEOUT_MS),
    addInChunks(queue, WARMUP_JOBS, makeData),
  ]);
  // A connection of its own for INFO, so the sample never waits behind the queue's commands.
  const info = ctx.connect(`${queue.name}-info`);
  const rates: number[] = [];
  const cpu: number[] = [];
  const redisCpu: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    await queue.pause();
    await addInChunks(queue, jobs, makeData);
    const redisBefore = await redisCpuMs(info);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all([waitForCompletions(worker, jobs, DRAIN_TIMEOUT_MS), queue.resume()]);
    rates.push(perSecond(jobs, performance.now() - started));
    const used = process.cpuUsage(cpuBefore);
    cpu.push((used.user + used.system) / jobs);
    redisCpu.push((((await redisCpuMs(info)) - redisBefore) * 1000) / jobs);
  }
  const show = (values: readonly number[]): string =>
    values.map((v) => Math.round(v).toLocaleString('en-US')).join(' / ');
  ctx.log(`${queue.name} drain, jobs/s: ${show(rates)} → median`);
  ctx.log(`${queue.name} drain, process CPU per job, µs: ${show(cpu)} → median`);
  ctx.log(`${queue.name} drain, Redis CPU per job, µs: ${show(redisCpu)} → median`);
  return {
    perS: percentile(rates, 50),
    cpuUsPerJob: percentile(cpu, 50),
    redisCpuUsPerJob: percentile(redisCpu, 50),
  };
}

export interface QueuePair {
  readonly queue: Queue<RawDeliveryData>;
  readonly worker: Worker<RawDeliveryData>;
  /** Worker first, so no job is mid-flight when its queue's connection goes away. */
  close(): Promise<void>;
}

/** A queue and a worker on it, each on its own connection, as producer and worker processes would be. */
export function createQueuePair(
  ctx: BenchContext,
  queueName: string,
  processor: (job: Job<RawDeliveryData>) => Promise<void>,
): QueuePair {
  const queue = new Queue<RawDeliveryData>(queueName, {
    connection: ctx.connect(`${queueName}-queue`),
    prefix: ctx.prefix,
    defaultJobOptions: BENCH_JOB_OPTIONS,
  });
  const worker = new Worker<RawDeliveryData>(queueName, processor, {
    connection: ctx.connect(`${queueName}-worker`),
    prefix: ctx.prefix,
    concurrency: WORKER_CONCURRENCY,
  });
  // Without a listener an 'error' event would throw; job failures surface through waitForCompletions.
  worker.on('error', (error) => ctx.log(`${queueName} worker error: ${error.message}`));
  return {
    queue,
    worker,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
