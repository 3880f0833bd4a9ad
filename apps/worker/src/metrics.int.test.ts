import {
  closeServer,
  createHealthServer,
  createMetrics,
  listen,
  type HeraldMetrics,
} from '@herald/observability';
import { startReceiver, waitUntil, type Receiver } from '@herald/testkit';
import { startHarness, type Harness } from './testing/harness.js';

/** `name{labels} value` lines of the Prometheus text, summed per name+labels. */
function valueOf(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('worker metrics', () => {
  let h: Harness;
  let metrics: HeraldMetrics;
  let receiver: Receiver;
  let url: string;
  const health = () =>
    createHealthServer({
      checks: {},
      isDraining: () => false,
      metrics: { registry: metrics.registry, token: 'm3trics' },
    });
  let server: ReturnType<typeof health>;

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer m3trics' } });
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    metrics = createMetrics({ queueCacheMs: 0 });
    h = await startHarness({ metrics });
    receiver = await startReceiver();
    server = health();
    url = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await closeServer(server);
    await h.close();
    await receiver.close();
  });

  test('when the token is missing, the worker /metrics answers 401', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
  });

  test('when a delivery happens, the metric names appear and move', async () => {
    const before = await scrape();
    for (const name of [
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
      'herald_events_published_total',
    ]) {
      expect(before).toContain(`# TYPE ${name} `);
    }
    expect(before).toContain('herald_queue_depth{queue="deliveries",state="wait"}');
    expect(before).toContain('herald_queue_oldest_waiting_seconds{queue="events"}');

    const success = 'herald_deliveries_total{outcome="success",status_class="2xx"}';
    const attempts = 'herald_delivery_attempt_duration_seconds_count';
    const latency = 'herald_publish_to_delivery_seconds_count';
    const batches = 'herald_recorder_batch_size_count';
    await h.addWebhook({ url: `${receiver.url}/hook` });
    await h.client.publish({ app: h.appId, type: 'user.register', data: { user: 'u1' } });
    await receiver.waitForRequests(1);

    const after = await waitUntil(
      async () => {
        const text = await scrape();
        return valueOf(text, success) > valueOf(before, success) ? text : undefined;
      },
      { what: 'a successful delivery counted', timeoutMs: 20_000 },
    );
    expect(valueOf(after, attempts)).toBe(valueOf(before, attempts) + 1);
    expect(valueOf(after, latency)).toBe(valueOf(before, latency) + 1);
    expect(valueOf(after, batches)).toBeGreaterThan(valueOf(before, batches));
    expect(valueOf(after, 'herald_recorder_lag_seconds_count')).toBeGreaterThan(0);
    // No label names a webhook, an app or a URL.
    expect(after).not.toContain(h.appId);
    expect(after).not.toContain(receiver.url);
  });

  test('when an endpoint answers 410, the delivery counts as http_error 4xx, a dead letter and a disabled webhook', async () => {
    const r = await startReceiver((_req, res) => void res.writeHead(410).end());
    try {
      const before = await scrape();
      await h.addWebhook({ url: `${r.url}/gone` });
      await h.client.publish({ app: h.appId, type: 'user.register', data: { user: 'u2' } });
      const dead = 'herald_dead_letters_total';
      const after = await waitUntil(
        async () => {
          const text = await scrape();
          return valueOf(text, dead) > valueOf(before, dead) ? text : undefined;
        },
        { what: 'a dead letter counted', timeoutMs: 20_000 },
      );
      const errors = 'herald_deliveries_total{outcome="http_error",status_class="4xx"}';
      expect(valueOf(after, errors)).toBeGreaterThan(valueOf(before, errors));
      const disabled = 'herald_webhooks_disabled_total';
      expect(valueOf(after, disabled)).toBe(valueOf(before, disabled) + 1);
    } finally {
      await r.close();
    }
  });

  test('when failures open a circuit, herald_circuit_open_total moves', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const b = await startHarness({ metrics: m, breakerFailures: 1, breakerOpenMs: 60_000 });
    const r = await startReceiver((_req, res) => void res.writeHead(500).end());
    try {
      await b.addWebhook({ url: `${r.url}/fail` });
      await b.client.publish({ app: b.appId, type: 'user.register', data: {} });
      await waitUntil(async () => ((await m.circuitOpens.get()).values[0]?.value ?? 0) >= 1 || undefined, {
        what: 'a circuit opened',
        timeoutMs: 20_000,
      });
      // The attempt is counted once its outcome is recorded, just after the breaker saw it.
      const failed = 'herald_deliveries_total{outcome="http_error",status_class="5xx"}';
      await waitUntil(async () => valueOf(await m.registry.metrics(), failed) >= 1 || undefined, {
        what: 'the failed attempt counted',
        timeoutMs: 20_000,
      });
    } finally {
      await b.close();
      await r.close();
    }
  });

  test('when a name resolves to a forbidden address at connect time, herald_ssrf_blocked_total moves', async () => {
    const m = createMetrics({ defaultMetrics: false });
    // Unresolvable when the webhook is saved (accepted with a warning), loopback when the worker connects.
    let resolvesToLoopback = false;
    const b = await startHarness({
      metrics: m,
      allowPrivateNetworks: false,
      resolveHost: async () => (resolvesToLoopback ? ['127.0.0.1'] : []),
    });
    try {
      await b.addWebhook({ url: 'http://rebind.example.test/hook' });
      resolvesToLoopback = true;
      await b.client.publish({ app: b.appId, type: 'user.register', data: {} });
      await waitUntil(async () => ((await m.ssrfBlocked.get()).values[0]?.value ?? 0) >= 1 || undefined, {
        what: 'a blocked connection',
        timeoutMs: 20_000,
      });
      await waitUntil(
        async () =>
          valueOf(
            await m.registry.metrics(),
            'herald_deliveries_total{outcome="blocked",status_class="none"}',
          ) >= 1 || undefined,
        { what: 'a blocked attempt counted', timeoutMs: 20_000 },
      );
    } finally {
      await b.close();
    }
  });
});
