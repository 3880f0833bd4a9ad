import request from 'supertest';
import { createMetrics, type HeraldMetrics } from '@herald/observability';
import { auth, startApiFixture, type ApiFixture } from './api/api-fixture.js';

const EVENT = { type: 'user.register', data: { user: 'u1' } };
const PUBLISHED = 'herald_events_published_total';

function valueOf(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

describe('admin /metrics', () => {
  let f: ApiFixture;
  let metrics: HeraldMetrics;
  const scrape = async () =>
    (await request(f.http).get('/metrics').set('Authorization', 'Bearer adm1n-metrics').expect(200)).text;

  beforeAll(async () => {
    metrics = createMetrics();
    f = await startApiFixture({ metrics, settings: { metricsToken: 'adm1n-metrics' } });
  });
  afterAll(async () => {
    await f.close();
  });

  test('when HERALD_METRICS_TOKEN is set, /metrics answers 401 without it or with another, 200 with it', async () => {
    await request(f.http).get('/metrics').expect(401);
    await request(f.http).get('/metrics').set('Authorization', 'Bearer wrong').expect(401);
    // An API key is not the metrics token.
    await request(f.http)
      .get('/metrics')
      .set(...auth(f.key))
      .expect(401);
    const res = await request(f.http)
      .get('/metrics')
      .set('Authorization', 'Bearer adm1n-metrics')
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain(`# TYPE ${PUBLISHED} counter`);
    expect(res.text).toContain('process_resident_memory_bytes');
  });

  test('when events are published through the API, herald_events_published_total counts new ones only', async () => {
    const before = valueOf(await scrape(), PUBLISHED);
    const post = (path: string) =>
      request(f.http)
        .post(`/api/v1${path}`)
        .set(...auth(f.key));
    await post('/events')
      .send({ ...EVENT, idempotencyKey: 'k-1' })
      .expect(202);
    await post('/events')
      .send({ ...EVENT, idempotencyKey: 'k-1' })
      .expect(202);
    await post('/events/batch')
      .send({ events: [EVENT, { ...EVENT, idempotencyKey: 'k-1' }, EVENT] })
      .expect(202);
    expect(valueOf(await scrape(), PUBLISHED)).toBe(before + 3);
  });

  test('when no token is set, /metrics is open', async () => {
    const open = await startApiFixture({ metrics: createMetrics({ defaultMetrics: false }) });
    try {
      const res = await request(open.http).get('/metrics').expect(200);
      expect(res.text).toContain(PUBLISHED);
    } finally {
      await open.close();
    }
  });
});
