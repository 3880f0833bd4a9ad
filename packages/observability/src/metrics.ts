import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const QUEUE_STATES = ['wait', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;
type QueueState = (typeof QUEUE_STATES)[number];

/** What the queue gauges need from a BullMQ `Queue` (kept structural: no bullmq dependency here). */
export interface MetricsQueue {
  readonly name: string;
  getJobCounts(...types: QueueState[]): Promise<Record<string, number>>;
  getJobs(
    types: ('wait' | 'prioritized')[],
    start?: number,
    end?: number,
    asc?: boolean,
  ): Promise<({ timestamp: number } | undefined)[]>;
}

export type DeliveryOutcomeLabel = 'success' | 'http_error' | 'timeout' | 'network_error' | 'blocked';

export interface AttemptFacts {
  outcome: DeliveryOutcomeLabel;
  statusCode: number | null;
  durationMs: number;
  /** The delivery is now dead (dead-lettered). */
  dead: boolean;
  /** Epoch ms the event was published; set only for a success worth timing. */
  publishedAtMs?: number | undefined;
}

export interface CreateMetricsOptions {
  /** Process metrics (CPU, memory, event loop, GC); on by default. */
  defaultMetrics?: boolean;
  /** How long one sample of queue depths serves scrapes (ms). */
  queueCacheMs?: number;
  now?: () => number;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];
const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];

export function statusClass(statusCode: number | null): '2xx' | '3xx' | '4xx' | '5xx' | 'none' {
  if (statusCode === null || statusCode < 200 || statusCode > 599) return 'none';
  return `${Math.floor(statusCode / 100)}xx` as '2xx' | '3xx' | '4xx' | '5xx';
}

/**
 * Herald's Prometheus metrics on a registry of their own (never the global
 * one, so tests and processes can build several). No label names a webhook,
 * an app or a URL: cardinality stays fixed however many there are.
 */
export function createMetrics(options: CreateMetricsOptions = {}) {
  const now = options.now ?? Date.now;
  const queueCacheMs = options.queueCacheMs ?? 2_000;
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const eventsPublished = new Counter({
    name: 'herald_events_published_total',
    help: 'Events accepted by the admin API (ingest), idempotent repeats excluded.',
    registers,
  });
  const deliveries = new Counter({
    name: 'herald_deliveries_total',
    help: 'Delivery attempts by outcome and HTTP status class.',
    labelNames: ['outcome', 'status_class'] as const,
    registers,
  });
  const attemptDuration = new Histogram({
    name: 'herald_delivery_attempt_duration_seconds',
    help: 'Duration of one delivery attempt (connect to response or failure).',
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const publishToDelivery = new Histogram({
    name: 'herald_publish_to_delivery_seconds',
    help: 'From the event timestamp to its successful delivery (first delivery runs, replays excluded).',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const deadLetters = new Counter({
    name: 'herald_dead_letters_total',
    help: 'Deliveries that ended dead (retries exhausted, or not retryable).',
    registers,
  });
  const circuitOpens = new Counter({
    name: 'herald_circuit_open_total',
    help: 'Times a webhook circuit breaker opened (or re-opened after a failed probe).',
    registers,
  });
  const webhooksDisabled = new Counter({
    name: 'herald_webhooks_disabled_total',
    help: 'Webhooks the worker disabled (failing too long, or the endpoint asked to stop).',
    registers,
  });
  const ssrfBlocked = new Counter({
    name: 'herald_ssrf_blocked_total',
    help: 'Connections refused because the address is not allowed (SSRF guard).',
    registers,
  });
  const firstAttempts = new Counter({
    name: 'herald_first_attempts_total',
    help: 'First attempts by path: inline (made by the fan-out, no delivery job) or queued (a delivery job).',
    labelNames: ['path'] as const,
    registers,
  });
  const recorderBatchSize = new Histogram({
    name: 'herald_recorder_batch_size',
    help: 'Delivery outcomes written per Postgres transaction.',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
    registers,
  });
  const recorderLag = new Histogram({
    name: 'herald_recorder_lag_seconds',
    help: 'How long the oldest outcome of a batch waited before its batch committed.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });

  // Queue gauges: sampled on scrape, one sample shared by both gauges and
  // reused for `queueCacheMs` so frequent scrapes cost Redis little.
  const queues: MetricsQueue[] = [];
  interface QueueSample {
    counts: Map<string, Record<string, number>>;
    oldestWaitingS: Map<string, number>;
  }
  let sample: { at: number; value: Promise<QueueSample> } | undefined;
  const takeSample = async (): Promise<QueueSample> => {
    const result: QueueSample = { counts: new Map(), oldestWaitingS: new Map() };
    await Promise.all(
      queues.map(async (queue) => {
        // `{deliveries}` → `deliveries`: the Redis Cluster hash tag is no part of the name.
        const label = queue.name.replace(/^\{(.*)\}$/, '$1');
        const [counts, heads] = await Promise.all([
          queue.getJobCounts(...QUEUE_STATES),
          // The head of the wait list (oldest) and of the prioritized set (next to run).
          queue.getJobs(['wait', 'prioritized'], 0, 0, true),
        ]);
        result.counts.set(label, counts);
        const stamps = heads.flatMap((job) => (job && Number.isFinite(job.timestamp) ? [job.timestamp] : []));
        result.oldestWaitingS.set(
          label,
          stamps.length === 0 ? 0 : Math.max(0, (now() - Math.min(...stamps)) / 1000),
        );
      }),
    );
    return result;
  };
  const currentSample = (): Promise<QueueSample> => {
    if (!sample || now() - sample.at >= queueCacheMs) {
      const value = takeSample();
      sample = { at: now(), value };
      // A failed sample is not cached: the next scrape tries again.
      value.catch(() => {
        if (sample?.value === value) sample = undefined;
      });
    }
    return sample.value;
  };

  new Gauge({
    name: 'herald_queue_depth',
    help: 'Jobs per queue and state (sampled from the queue on scrape, cached briefly).',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      if (queues.length === 0) return;
      // Redis trouble leaves the gauges out of this scrape rather than fail it.
      const taken = await currentSample().catch(() => undefined);
      for (const [queue, byState] of taken?.counts ?? []) {
        for (const state of QUEUE_STATES) this.set({ queue, state }, byState[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'herald_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting to run, per queue (0 when none waits).',
    labelNames: ['queue'] as const,
    registers,
    async collect() {
      this.reset();
      if (queues.length === 0) return;
      const taken = await currentSample().catch(() => undefined);
      for (const [queue, seconds] of taken?.oldestWaitingS ?? []) this.set({ queue }, seconds);
    },
  });

  return {
    registry,
    eventsPublished,
    deliveries,
    attemptDuration,
    publishToDelivery,
    deadLetters,
    circuitOpens,
    webhooksDisabled,
    ssrfBlocked,
    firstAttempts,
    recorderBatchSize,
    recorderLag,
    /** Reports these queues' depths and oldest waiting job on scrape. */
    watchQueues(list: readonly MetricsQueue[]): void {
      queues.push(...list);
      sample = undefined;
    },
    /** One delivery attempt made (not gate waits, cancellations or holds). */
    recordAttempt(facts: AttemptFacts): void {
      deliveries.inc({ outcome: facts.outcome, status_class: statusClass(facts.statusCode) });
      attemptDuration.observe(Math.max(0, facts.durationMs) / 1000);
      if (facts.dead) deadLetters.inc();
      if (facts.outcome === 'success' && facts.publishedAtMs !== undefined) {
        publishToDelivery.observe(Math.max(0, now() - facts.publishedAtMs) / 1000);
      }
    },
    /** One recorder batch committed. */
    recordBatch(size: number, oldestWaitMs: number): void {
      recorderBatchSize.observe(size);
      recorderLag.observe(Math.max(0, oldestWaitMs) / 1000);
    },
  };
}

export type HeraldMetrics = ReturnType<typeof createMetrics>;

function sameSecret(given: string, expected: string): boolean {
  // Hash both so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Serves the registry in the Prometheus text format. With a token, the
 * request needs `Authorization: Bearer <token>` (401 otherwise). Works as a
 * plain node:http handler and as an Express one.
 */
export function metricsHandler(
  registry: Registry,
  token?: string,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    if (token) {
      const header = req.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match || !sameSecret(match[1]!, token)) {
        res
          .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' })
          .end('{"error":{"code":"unauthorized","message":"a valid metrics token is required"}}');
        return;
      }
    }
    try {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      res
        .writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'internal', message: `metrics failed: ${message}` } }));
    }
  };
}
