import { createQueuePair, measureDrainPerSecond, WARMUP_JOBS, WORKER_CONCURRENCY } from '../lib/bullmq.js';
import { ROUNDS } from '../lib/stats.js';
import type { Scenario } from '../lib/context.js';
import { startSink } from '../lib/sink.js';
import { rssMb } from '../lib/timing.js';
import { createHmacPostProcessor, createSigningKey, createSinkPool } from '../lib/webhook.js';

const QUEUE_NAME = '{raw-hmac-post}';
const JOBS = 20_000;

/** The minimal delivery pipeline (DESIGN.md §9): the number Herald's own delivery rate is compared with. */
export const rawHmacPost: Scenario = {
  name: 'raw-hmac-post',
  async run(ctx) {
    const sink = await startSink();
    const pool = createSinkPool(sink.origin, WORKER_CONCURRENCY);
    const pair = createQueuePair(ctx, QUEUE_NAME, createHmacPostProcessor(pool, createSigningKey()));
    try {
      let n = 0;
      const { perS, cpuUsPerJob, redisCpuUsPerJob } = await measureDrainPerSecond(ctx, pair, JOBS, () => ({
        userId: `usr_${++n}`,
        enqueuedAtMs: performance.now(),
      }));
      // Each job completes only after its 204, so any other count means a retried
      // or stray request, and the figure would not be deliveries per second.
      const expected = WARMUP_JOBS + ROUNDS * JOBS;
      if (sink.received !== expected) {
        throw new Error(`sink received ${sink.received} requests for ${expected} jobs`);
      }
      return [
        { key: 'raw_hmac_post_per_s', label: 'drain, HMAC + POST', value: perS, unit: 'deliveries/s' },
        {
          key: 'raw_hmac_post_cpu_us_per_delivery',
          label: 'process CPU per delivery (worker + sink)',
          value: cpuUsPerJob,
          unit: 'µs',
        },
        {
          key: 'raw_hmac_post_redis_cpu_us_per_delivery',
          label: 'Redis CPU per delivery',
          value: redisCpuUsPerJob,
          unit: 'µs',
        },
        {
          // Every process a delivery costs CPU in; herald-pipeline's counterpart adds Postgres.
          key: 'raw_hmac_post_total_cpu_us_per_delivery',
          label: 'CPU per delivery, every process (worker + sink + Redis)',
          value: cpuUsPerJob + redisCpuUsPerJob,
          unit: 'µs',
        },
        // Taken while the worker, pool and sink are all still alive: the footprint under load.
        { key: 'raw_rss_mb', label: 'process RSS after drain', value: rssMb(), unit: 'MB' },
      ];
    } finally {
      await pair.close();
      await pool.close();
      await sink.close();
    }
  },
};
