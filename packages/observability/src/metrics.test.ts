import { createServer, type Server } from 'node:http';
import { closeServer, createHealthServer, listen } from './health-server.js';
import { createMetrics, metricsHandler, statusClass, type MetricsQueue } from './metrics.js';

const NAMES = [
  'herald_events_published_total',
  'herald_deliveries_total',
  'herald_delivery_attempt_duration_seconds',
  'herald_publish_to_delivery_seconds',
  'herald_queue_depth',
  'herald_queue_oldest_waiting_seconds',
  'herald_dead_letters_total',
  'herald_circuit_open_total',
  'herald_webhooks_disabled_total',
  'herald_ssrf_blocked_total',
  'herald_recorder_batch_size',
  'herald_recorder_lag_seconds',
];

async function serve(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  const port = await listen(server, 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

function fakeQueue(name: string, calls: { n: number }, nowMs: number): MetricsQueue {
  return {
    name,
    async getJobCounts(...states) {
      calls.n++;
      return Object.fromEntries(states.map((s) => [s, s === 'wait' ? 3 : 0]));
    },
    async getJobs() {
      return [{ timestamp: nowMs - 5_000 }, undefined];
    },
  };
}

describe('metrics', () => {
  test('when the registry is scraped, every Herald metric and the process metrics are listed', async () => {
    const metrics = createMetrics();
    const text = await metrics.registry.metrics();
    for (const name of NAMES) expect(text).toContain(`# TYPE ${name} `);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  test('when two registries are built, they do not share values (tests can build several)', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.eventsPublished.inc(2);
    expect((await a.eventsPublished.get()).values[0]?.value).toBe(2);
    expect((await b.eventsPublished.get()).values[0]?.value ?? 0).toBe(0);
  });

  test('when an attempt is recorded, outcome, status class, duration, dead letters and latency move', async () => {
    let now = 1_000_000;
    const metrics = createMetrics({ defaultMetrics: false, now: () => now });
    metrics.recordAttempt({
      outcome: 'success',
      statusCode: 204,
      durationMs: 30,
      dead: false,
      publishedAtMs: now - 500,
    });
    metrics.recordAttempt({ outcome: 'timeout', statusCode: null, durationMs: 1500, dead: true });
    now += 1;
    const text = await metrics.registry.metrics();
    expect(text).toContain('herald_deliveries_total{outcome="success",status_class="2xx"} 1');
    expect(text).toContain('herald_deliveries_total{outcome="timeout",status_class="none"} 1');
    expect(text).toContain('herald_delivery_attempt_duration_seconds_count 2');
    expect(text).toContain('herald_dead_letters_total 1');
    expect(text).toContain('herald_publish_to_delivery_seconds_sum 0.5');
    expect(statusClass(503)).toBe('5xx');
    expect(statusClass(99)).toBe('none');
  });

  test('when queues are watched, depth and oldest waiting age are sampled on scrape and cached briefly', async () => {
    let now = 1_000_000;
    const calls = { n: 0 };
    const metrics = createMetrics({ defaultMetrics: false, queueCacheMs: 1_000, now: () => now });
    metrics.watchQueues([fakeQueue('deliveries', calls, now)]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('herald_queue_depth{queue="deliveries",state="wait"} 3');
    expect(text).toContain('herald_queue_oldest_waiting_seconds{queue="deliveries"} 5');
    await metrics.registry.metrics();
    expect(calls.n).toBe(1);
    now += 1_000;
    await metrics.registry.metrics();
    expect(calls.n).toBe(2);
  });

  test('when a queue cannot be read, the scrape still answers without the queue gauges', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.watchQueues([
      {
        name: 'events',
        getJobCounts: () => Promise.reject(new Error('redis down')),
        getJobs: () => Promise.reject(new Error('redis down')),
      },
    ]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('herald_events_published_total 0');
    expect(text).not.toContain('herald_queue_depth{');
  });

  test('when a metrics token is set, /metrics answers 401 without it or with a wrong one, 200 with it', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const handler = metricsHandler(metrics.registry, 's3cret-token');
    const server = await serve(createServer((req, res) => void handler(req, res)));
    try {
      expect((await fetch(server.url)).status).toBe(401);
      const wrong = await fetch(server.url, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
      const ok = await fetch(server.url, { headers: { authorization: 'Bearer s3cret-token' } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await ok.text()).toContain('herald_deliveries_total');
    } finally {
      await server.close();
    }
  });

  test('when no token is set, /metrics is open; the worker health server serves it next to /livez', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const server = await serve(
      createHealthServer({ checks: {}, isDraining: () => false, metrics: { registry: metrics.registry } }),
    );
    try {
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('herald_ssrf_blocked_total 0');
      expect((await fetch(`${server.url}/livez`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  test('when the health server has no metrics, /metrics is 404', async () => {
    const server = await serve(createHealthServer({ checks: {}, isDraining: () => false }));
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
