import request from 'supertest';
import { CLI_ACTOR, revokeApiKey } from '@herald/engine';
import { sleep } from '@herald/testkit';
import { auth, keysOf, startApiFixture, type ApiFixture } from './api-fixture.js';

const EVENT = { type: 'auth.login.failed', data: { ip: '203.0.113.7' } };

describe('API authentication, scopes and limits', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await startApiFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  test.each([
    ['no Authorization header', undefined],
    ['an unknown key', 'Bearer hk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a key that is not a Herald key', 'Bearer not-a-key'],
    ['Basic auth instead of Bearer', 'Basic dXNlcjpwYXNz'],
    ['Bearer without a key', 'Bearer '],
  ])(
    'when the request has %s, the answer is 401 unauthorized and nothing is published',
    async (_what, header) => {
      const req = request(f.http).post('/api/v1/events').send(EVENT);
      if (header !== undefined) void req.set('Authorization', header);
      const res = await req.expect(401);
      expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(await f.publishedCount()).toBe(0);
    },
  );

  test('when the key is revoked, the answer is 401 at once', async () => {
    const { id, key } = await f.newKey();
    await request(f.http)
      .get('/api/v1/webhooks')
      .set(...auth(key))
      .expect(200);
    await revokeApiKey(f.t.db, CLI_ACTOR, f.appId, id);
    const res = await request(f.http)
      .get('/api/v1/webhooks')
      .set(...auth(key))
      .expect(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  test('when only a session cookie is sent, it is ignored (401)', async () => {
    await request(f.http).get('/api/v1/webhooks').set('Cookie', 'herald.sid=s%3Aanything').expect(401);
  });

  test('when a key has scope ingest, it may publish but every other route is 403', async () => {
    const { key } = await f.newKey('ingest');
    await request(f.http)
      .post('/api/v1/events')
      .set(...auth(key))
      .send(EVENT)
      .expect(202);
    await request(f.http)
      .post('/api/v1/events/batch')
      .set(...auth(key))
      .send({ events: [EVENT] })
      .expect(202);
    for (const [method, path] of [
      ['get', '/api/v1/webhooks'],
      ['post', '/api/v1/webhooks'],
      ['get', '/api/v1/webhooks/wh_01JDQ7Z1V3N8G4XK2M6R9T5B7C'],
      ['delete', '/api/v1/webhooks/wh_01JDQ7Z1V3N8G4XK2M6R9T5B7C'],
      ['get', '/api/v1/events/msg_01JDQ7Z1V3N8G4XK2M6R9T5B7C'],
      ['post', '/api/v1/deliveries/dlv_01JDQ7Z1V3N8G4XK2M6R9T5B7C/retry'],
    ] as const) {
      const call = request(f.http);
      const res = await (
        method === 'get' ? call.get(path) : method === 'post' ? call.post(path) : call.delete(path)
      ).set(...auth(key));
      expect([path, res.status, res.body.error?.code]).toEqual([path, 403, 'forbidden']);
    }
  });

  test('when a key is used many times within a minute, last_used_at is written once', async () => {
    const { id, key } = await f.newKey();
    const lastUsed = async (): Promise<Date | null> =>
      (
        await f.t.db
          .selectFrom('api_keys')
          .select('last_used_at')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).last_used_at;
    expect(await lastUsed()).toBeNull();
    await request(f.http)
      .get('/api/v1/webhooks')
      .set(...auth(key))
      .expect(200);
    await sleep(100);
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    for (let i = 0; i < 5; i++)
      await request(f.http)
        .get('/api/v1/webhooks')
        .set(...auth(key))
        .expect(200);
    await sleep(100);
    expect(await lastUsed()).toEqual(first);
  });

  test('when a route under /api/v1 is unknown, the answer is a JSON 404', async () => {
    for (const path of ['/api/v1/nope', '/api/v1/webhooks/wh_x/nope', '/api/v1/']) {
      const res = await request(f.http)
        .get(path)
        .set(...auth(f.key))
        .expect(404);
      expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    }
    const res = await request(f.http)
      .put('/api/v1/events')
      .set(...auth(f.key))
      .expect(404);
    expect(res.body.error.code).toBe('not_found');
  });

  test('when openapi.json is fetched without a key, it is an OpenAPI 3.1 document of every route', async () => {
    const res = await request(f.http).get('/api/v1/openapi.json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.openapi).toBe('3.1.0');
    expect(keysOf((res.body as { paths: object }).paths)).toEqual([
      '/deliveries/{id}/retry',
      '/events',
      '/events/batch',
      '/events/{id}',
      '/webhooks',
      '/webhooks/{id}',
      '/webhooks/{id}/replay',
      '/webhooks/{id}/rotate-secret',
    ]);
    // Generated from the request schemas: the event type pattern and the required url are there.
    const schemas = res.body.components.schemas;
    expect(schemas.EventInput.properties.type.pattern).toBe('^[a-zA-Z0-9_.-]{1,256}$');
    expect(schemas.EventInput.additionalProperties).toBe(false);
    expect(schemas.WebhookCreate.required).toEqual(['url']);
    expect(schemas.EventBatch.properties.events.maxItems).toBe(1000);
    expect(Object.keys(schemas.Webhook.properties as object)).toEqual([
      'id',
      'url',
      'description',
      'userAgent',
      'events',
      'format',
      'headers',
      'enabled',
      'disabledReason',
      'rateLimitPerSecond',
      'createdAt',
    ]);
    // Every $ref points at a component that exists.
    const refs = [...JSON.stringify(res.body).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1]!,
    );
    expect(refs.length).toBeGreaterThan(10);
    for (const name of refs) expect(schemas[name]).toBeDefined();
  });

  test('when API responses are sent, they are never cached', async () => {
    const res = await request(f.http)
      .get('/api/v1/webhooks')
      .set(...auth(f.key))
      .expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('API rate limit', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await startApiFixture({ settings: { apiRateLimitPerSecond: 5 } });
  });
  afterAll(async () => {
    await f.close();
  });

  test('when a key goes over its rate, the answer is 429 with Retry-After, and other keys are unaffected', async () => {
    const statuses: number[] = [];
    let limited: request.Response | undefined;
    for (let i = 0; i < 12; i++) {
      const res = await request(f.http)
        .get('/api/v1/webhooks')
        .set(...auth(f.key));
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5);
    expect(statuses.filter((s) => s === 200).length).toBeLessThan(9);
    expect(limited?.body).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await request(f.http)
      .get('/api/v1/webhooks')
      .set(...auth(f.otherKey))
      .expect(200);
  });

  test('when the limit is shared by two admin processes (two apps on one Redis), both count', async () => {
    const { key } = await f.newKey();
    const { createApp } = await import('../app.js');
    const { createLogger } = await import('@herald/logger');
    const second = createApp({
      log: createLogger({ name: 't', level: 'silent' }),
      checks: {},
      isDraining: () => false,
      engine: f.engine,
      settings: f.settings,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const app = i % 2 === 0 ? f.http : second;
      statuses.push(
        (
          await request(app)
            .get('/api/v1/webhooks')
            .set(...auth(key))
        ).status,
      );
    }
    expect(statuses.filter((s) => s === 200).length).toBeLessThan(9);
    expect(statuses).toContain(429);
  });
});
