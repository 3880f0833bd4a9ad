import { createQueuePair, JOB_NAME, WORKER_CONCURRENCY } from '../lib/bullmq.js';
import type { Scenario } from '../lib/context.js';
import { startSink } from '../lib/sink.js';
import { percentile } from '../lib/stats.js';
import { LATENCY_MEASURE_S, LATENCY_RATE_PER_S, LATENCY_WARMUP_S, produceAtRate } from '../lib/rate.js';
import { waitUntil } from '../lib/timing.js';
import {
  createHmacPostProcessor,
  createSigningKey,
  createSinkPool,
  parseEnqueuedAtMs,
} from '../lib/webhook.js';

const QUEUE_NAME = '{raw-latency}';
const RATE_PER_S = LATENCY_RATE_PER_S;
const WARMUP_S = LATENCY_WARMUP_S;
const MEASURE_S = LATENCY_MEASURE_S;
const TOTAL_JOBS = RATE_PER_S * (WARMUP_S + MEASURE_S);
const SETTLE_TIMEOUT_MS = 15_000;

/** What a subscriber waits at a moderate steady load: enqueue → sink receipt, per job. */
export const rawLatency: Scenario = {
  name: 'raw-latency',
  async run(ctx) {
    const latenciesMs: number[] = [];
    let recordFrom = Number.POSITIVE_INFINITY;
    let unreadable = 0;
    const sink = await startSink({
      onReceive(body, receivedAt) {
        // Never throw here: this runs inside the HTTP server's request handling.
        try {
          const enqueuedAt = parseEnqueuedAtMs(body);
          if (enqueuedAt >= recordFrom) latenciesMs.push(receivedAt - enqueuedAt);
        } catch {
          unreadable += 1;
        }
      },
    });
    const pool = createSinkPool(sink.origin, WORKER_CONCURRENCY);
    const pair = createQueuePair(ctx, QUEUE_NAME, createHmacPostProcessor(pool, createSigningKey()));
    try {
      await pair.worker.waitUntilReady();
      let n = 0;
      recordFrom = performance.now() + WARMUP_S * 1000;
      // The timestamp is taken as the job is handed to BullMQ, in this process,
      // so it shares a clock with the sink's receipt time.
      await produceAtRate(RATE_PER_S, TOTAL_JOBS, () =>
        pair.queue.add(JOB_NAME, { userId: `usr_${++n}`, enqueuedAtMs: performance.now() }),
      );
      await waitUntil(
        () => sink.received >= TOTAL_JOBS,
        SETTLE_TIMEOUT_MS,
        () => `sink received ${sink.received}/${TOTAL_JOBS}`,
      );
      if (unreadable > 0) throw new Error(`sink could not read ${unreadable} bodies`);
      ctx.log(`raw-latency: ${latenciesMs.length} jobs recorded at ${RATE_PER_S}/s`);
      return [
        {
          key: `raw_p50_ms_at_${RATE_PER_S}`,
          label: `p50 enqueue→receipt at ${RATE_PER_S}/s`,
          value: percentile(latenciesMs, 50),
          unit: 'ms',
        },
        {
          key: `raw_p99_ms_at_${RATE_PER_S}`,
          label: `p99 enqueue→receipt at ${RATE_PER_S}/s`,
          value: percentile(latenciesMs, 99),
          unit: 'ms',
        },
      ];
    } finally {
      await pair.close();
      await pool.close();
      await sink.close();
    }
  },
};
