import request from 'supertest';
import { createDb, ping } from '@herald/db';
import { createLogger } from '@herald/logger';
import { createRedisConnection } from '@herald/queue';
import { createTestDatabase, TEST_REDIS_URL, unusedPort, type TestDatabase } from '@herald/testkit';
import { createApp } from '../app.js';

const log = createLogger({ name: 'test', level: 'silent' });

describe('admin health', () => {
  let t: TestDatabase;
  const redis = createRedisConnection({ mode: 'single', url: TEST_REDIS_URL }, { maxRetriesPerRequest: 1 });

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
    redis.disconnect();
  });

  test('when Postgres and Redis answer, /livez and /readyz are 200', async () => {
    const app = createApp({
      log,
      isDraining: () => false,
      checks: { postgres: () => ping(t.db), redis: () => redis.ping() },
    });
    await request(app).get('/livez').expect(200, { status: 'ok' });
    const res = await request(app).get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  });

  test('when Redis does not answer, /readyz is 503 naming redis', async () => {
    const deadRedis = createRedisConnection({
      mode: 'single',
      url: `redis://127.0.0.1:${await unusedPort()}`,
    });
    deadRedis.on('error', () => undefined);
    try {
      const app = createApp({
        log,
        isDraining: () => false,
        checks: { postgres: () => ping(t.db), redis: () => deadRedis.ping() },
      });
      const res = await request(app).get('/readyz').expect(503);
      expect(res.body.status).toBe('unavailable');
      expect(res.body.checks.postgres).toBe('ok');
      expect(res.body.checks.redis).toMatch(/^failed: /);
    } finally {
      deadRedis.disconnect();
    }
  });

  test('when Postgres does not answer, /readyz is 503 naming postgres', async () => {
    const deadDb = createDb({
      connectionString: `postgres://postgres@127.0.0.1:${await unusedPort()}/x`,
      maxConnections: 1,
    });
    try {
      const app = createApp({
        log,
        isDraining: () => false,
        checks: { postgres: () => ping(deadDb), redis: () => redis.ping() },
      });
      const res = await request(app).get('/readyz').expect(503);
      expect(res.body.checks).toEqual({ postgres: expect.stringMatching(/^failed: /), redis: 'ok' });
    } finally {
      await deadDb.destroy();
    }
  });

  test('when the process is draining, /readyz is 503 and /livez stays 200', async () => {
    const app = createApp({ log, isDraining: () => true, checks: { postgres: () => ping(t.db) } });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body.checks).toEqual({ postgres: 'ok', process: 'draining' });
    await request(app).get('/livez').expect(200);
  });

  test('when a route is unknown, the answer is a JSON 404', async () => {
    const app = createApp({ log, isDraining: () => false, checks: {} });
    const res = await request(app).get('/nope').expect(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'not found' } });
  });
});
