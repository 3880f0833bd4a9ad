import request from 'supertest';
import { parseEventJobData, type HeraldQueue } from '@herald/queue';
import { CLI_ACTOR, createWebhook } from '@herald/engine';
import { auth, fieldsOf, startApiFixture, type ApiFixture } from './api-fixture.js';

const EVENT = { type: 'auth.login.failed', data: { ip: '203.0.113.7', user: 'u_42' } };

describe('API events', () => {
  let f: ApiFixture;
  let queue: HeraldQueue;
  const post = (path: string, key = f.key) =>
    request(f.http)
      .post(`/api/v1${path}`)
      .set(...auth(key));

  beforeAll(async () => {
    f = await startApiFixture({ settings: { apiMaxBodyBytes: 512 * 1024, apiMaxBatchBytes: 1024 * 1024 } });
    queue = f.engine.queues.events;
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(async () => {
    await queue.obliterate({ force: true });
  });

  /** Answers `status` with an error naming `field`, and nothing was published. */
  async function expectRefused(res: request.Response, status: number, field?: string): Promise<void> {
    expect(res.status).toBe(status);
    expect(res.body.error).toEqual(
      expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
    );
    if (field !== undefined) expect(fieldsOf(res)).toContain(field);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
    expect(await f.publishedCount()).toBe(0);
  }

  test('when an event is posted, the answer is 202 {id} and one job has the client’s exact shape', async () => {
    const res = await post('/events').send(EVENT).expect(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^msg_[0-9A-Z]{26}$/) });
    const job = await queue.getJob(String(res.body.id));
    expect(job?.name).toBe(EVENT.type);
    const data = parseEventJobData(job?.data);
    expect(data).toEqual({
      v: 1,
      id: res.body.id,
      appId: f.appId,
      type: EVENT.type,
      timestamp: expect.any(String),
      data: EVENT.data,
    });
    expect(job?.opts).toMatchObject({ attempts: 20, removeOnComplete: true, jobId: res.body.id });
  });

  test('when the data has a "__proto__" key, it is published as sent (as Herald.publish does), single and batch', async () => {
    const body = '{"type":"t","data":{"__proto__":{"admin":true},"user":"u_1"}}';
    const one = await post('/events').set('content-type', 'application/json').send(body).expect(202);
    const batch = await post('/events/batch')
      .set('content-type', 'application/json')
      .send(`{"events":[${body}]}`)
      .expect(202);
    for (const id of [one.body.id as string, (batch.body.ids as string[])[0]!]) {
      const data = parseEventJobData((await queue.getJob(id))?.data).data;
      expect(JSON.stringify(data)).toBe('{"__proto__":{"admin":true},"user":"u_1"}');
      expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    }
  });

  test('when the same idempotency key is posted twice (body, then header), the original id comes back and one job exists', async () => {
    const first = await post('/events')
      .send({ ...EVENT, idempotencyKey: 'login-1' })
      .expect(202);
    const again = await post('/events').set('Idempotency-Key', 'login-1').send(EVENT).expect(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await f.publishedCount()).toBe(1);
    expect(parseEventJobData((await queue.getJob(String(first.body.id)))?.data).idempotencyKey).toBe(
      'login-1',
    );
  });

  test('when another app uses the same idempotency key, it gets its own event', async () => {
    const mine = await post('/events')
      .send({ ...EVENT, idempotencyKey: 'shared' })
      .expect(202);
    const theirs = await post('/events', f.otherKey)
      .send({ ...EVENT, idempotencyKey: 'shared' })
      .expect(202);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  test('when the header and the body disagree on the idempotency key, the answer is 422 and nothing is published', async () => {
    const res = await post('/events')
      .set('Idempotency-Key', 'a')
      .send({ ...EVENT, idempotencyKey: 'b' });
    await expectRefused(res, 422, 'idempotencyKey');
  });

  test('when the header and the body agree, the event is accepted', async () => {
    await post('/events')
      .set('Idempotency-Key', 'same')
      .send({ ...EVENT, idempotencyKey: 'same' })
      .expect(202);
  });

  test('when the Idempotency-Key header has a space, the answer is 422 naming it', async () => {
    await expectRefused(
      await post('/events').set('Idempotency-Key', 'a b').send(EVENT),
      422,
      'Idempotency-Key',
    );
  });

  test('when a batch is posted, the answer is 202 {ids} in order and each event is a job', async () => {
    const events = Array.from({ length: 50 }, (_, i) => ({ type: 'user.registered', data: { i } }));
    const res = await post('/events/batch').send({ events }).expect(202);
    expect(res.body.ids).toHaveLength(50);
    expect(new Set(res.body.ids as string[]).size).toBe(50);
    const job = await queue.getJob((res.body.ids as string[])[7]!);
    expect(job?.data).toMatchObject({ appId: f.appId, data: { i: 7 } });
  });

  test('when a batch holds 1,000 events it is accepted; 1,001 is 422 naming events', async () => {
    const event = { type: 't', data: {} };
    await post('/events/batch')
      .send({ events: Array.from({ length: 1000 }, () => event) })
      .expect(202);
    await queue.obliterate({ force: true });
    await expectRefused(
      await post('/events/batch').send({ events: Array.from({ length: 1001 }, () => event) }),
      422,
      'events',
    );
  });

  test('when one batch item is invalid, the answer is 422 with {index, field, message} and nothing is published', async () => {
    const res = await post('/events/batch').send({
      events: [EVENT, { type: 'bad type', data: {} }, EVENT, { type: 'ok', data: [1], extra: true }],
    });
    await expectRefused(res, 422);
    expect(res.body.error.details).toEqual([
      { index: 1, field: 'type', message: expect.any(String) },
      { index: 3, field: 'data', message: expect.any(String) },
      { index: 3, field: 'extra', message: 'is not a known field' },
    ]);
  });

  test('when a batch item repeats an idempotency key of an earlier publish, its id is the original one', async () => {
    const first = await post('/events')
      .send({ ...EVENT, idempotencyKey: 'k-batch' })
      .expect(202);
    const res = await post('/events/batch')
      .send({ events: [{ ...EVENT, idempotencyKey: 'k-batch' }, EVENT] })
      .expect(202);
    expect(res.body.ids[0]).toBe(first.body.id);
    expect(await f.publishedCount()).toBe(2);
  });

  test('when a batch request carries an Idempotency-Key header, it is refused (422): keys are per event', async () => {
    await expectRefused(
      await post('/events/batch')
        .set('Idempotency-Key', 'x')
        .send({ events: [EVENT] }),
      422,
      'Idempotency-Key',
    );
  });

  // The bad-input battery: each refused with the right status, nothing published.
  test.each([
    ['a JSON array body', '[{"type":"t","data":{}}]', 422, 'body'],
    ['a null body', 'null', 422, 'body'],
    ['a string body', '"hello"', 422, 'body'],
    ['a number body', '42', 422, 'body'],
    ['an empty object', '{}', 422, 'type'],
    ['a missing type', '{"data":{}}', 422, 'type'],
    ['a null type', '{"type":null,"data":{}}', 422, 'type'],
    ['a numeric type', '{"type":5,"data":{}}', 422, 'type'],
    ['a type with a space', '{"type":"a b","data":{}}', 422, 'type'],
    ['a type with CRLF', '{"type":"a\\r\\nb","data":{}}', 422, 'type'],
    ['a unicode type', '{"type":"ünïcödé.😀","data":{}}', 422, 'type'],
    ['a 257-character type', JSON.stringify({ type: 'a'.repeat(257), data: {} }), 422, 'type'],
    ['no data', '{"type":"t"}', 422, 'data'],
    ['null data', '{"type":"t","data":null}', 422, 'data'],
    ['array data', '{"type":"t","data":[1,2]}', 422, 'data'],
    ['string data', '{"type":"t","data":"x"}', 422, 'data'],
    ['data with a NUL character', '{"type":"t","data":{"s":"a\\u0000b"}}', 422, 'data'],
    ['data with a lone surrogate', '{"type":"t","data":{"s":"cut \\ud83d"}}', 422, 'data'],
    ['data nested 65 deep', `{"type":"t","data":${'{"a":'.repeat(65)}1${'}'.repeat(65)}}`, 422, 'data'],
    ['an unknown field', '{"type":"t","data":{},"app":"app_01JDQ7Z1V3N8G4XK2M6R9T5B7C"}', 422, 'app'],
    ['an empty idempotency key', '{"type":"t","data":{},"idempotencyKey":""}', 422, 'idempotencyKey'],
    ['a numeric idempotency key', '{"type":"t","data":{},"idempotencyKey":7}', 422, 'idempotencyKey'],
    [
      'an idempotency key with CRLF',
      '{"type":"t","data":{},"idempotencyKey":"a\\r\\nb"}',
      422,
      'idempotencyKey',
    ],
    [
      'a 257-character idempotency key',
      JSON.stringify({ type: 't', data: {}, idempotencyKey: 'k'.repeat(257) }),
      422,
      'idempotencyKey',
    ],
    ['malformed JSON', '{"type":"t",', 400, undefined],
    ['JSON with a trailing comma', '{"type":"t","data":{},}', 400, undefined],
    ['an empty body', '', 422, 'body'],
  ])('when the body is %s, the answer is %i', async (_what, body, status, field) => {
    const res = await post('/events').set('Content-Type', 'application/json').send(body);
    await expectRefused(res, status, field);
    if (status === 400) expect(res.body.error.code).toBe('malformed_json');
  });

  test.each([
    ['text/plain', 'text/plain'],
    ['form-encoded', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['XML', 'application/xml'],
    ['JSON in UTF-16', 'application/json; charset=utf-16'],
  ])('when the content type is %s, the answer is 415', async (_what, type) => {
    const res = await post('/events').set('Content-Type', type).send(JSON.stringify(EVENT));
    await expectRefused(res, 415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  test('when the body is over HERALD_API_MAX_BODY_BYTES, the answer is 413 and nothing is published', async () => {
    const res = await post('/events').send({ type: 't', data: { s: 'x'.repeat(600 * 1024) } });
    await expectRefused(res, 413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  test('when the body fits but the event data is over 256 KiB, the answer is 413 naming data', async () => {
    const res = await post('/events').send({ type: 't', data: { s: 'é'.repeat(140 * 1024) } });
    await expectRefused(res, 413, 'data');
  });

  test('when the data is over 256 KiB inside a "__proto__" key, the answer is 413 naming data all the same', async () => {
    const res = await post('/events')
      .set('content-type', 'application/json')
      .send(`{"type":"t","data":{"__proto__":{"s":"${'x'.repeat(300 * 1024)}"}}}`);
    await expectRefused(res, 413, 'data');
  });

  test('when a batch item’s data is over 256 KiB, the answer is 413 with its index', async () => {
    const res = await post('/events/batch').send({
      events: [EVENT, { type: 't', data: { s: 'x'.repeat(300 * 1024) } }],
    });
    await expectRefused(res, 413, 'data');
    expect(res.body.error.details[0].index).toBe(1);
  });

  test('when a batch body is over HERALD_API_MAX_BATCH_BYTES, the answer is 413', async () => {
    const events = Array.from({ length: 10 }, () => ({ type: 't', data: { s: 'x'.repeat(120 * 1024) } }));
    await expectRefused(await post('/events/batch').send({ events }), 413);
  });

  test('when data has unicode, emoji and huge numbers, it is published exactly as sent', async () => {
    const data = { name: 'Zoë 🚀 مرحبا 中文', rtl: '\u202e', big: 1e308, nested: { a: [null, true, 0.1] } };
    const res = await post('/events').send({ type: 'user.registered', data }).expect(202);
    expect(parseEventJobData((await queue.getJob(String(res.body.id)))?.data).data).toEqual(data);
  });

  test('when GET /events/:id follows a publish before fan-out, the event is answered as queued', async () => {
    const { body } = await post('/events').send(EVENT).expect(202);
    const res = await request(f.http)
      .get(`/api/v1/events/${body.id}`)
      .set(...auth(f.key))
      .expect(200);
    expect(res.body).toEqual({
      id: body.id,
      type: EVENT.type,
      timestamp: expect.any(String),
      data: EVENT.data,
      idempotencyKey: null,
      status: 'queued',
      deliveries: [],
    });
    // Another app cannot see it, queued or not.
    await request(f.http)
      .get(`/api/v1/events/${body.id}`)
      .set(...auth(f.otherKey))
      .expect(404);
  });

  test('when a recorded event is fetched, its deliveries and attempts come with it; another app gets 404', async () => {
    const { webhook } = await createWebhook(f.engine, CLI_ACTOR, f.appId, { url: 'https://example.com/h' });
    const { eventId, deliveryId } = await f.recordEvent(webhook.id);
    await f.t.db
      .insertInto('delivery_attempts')
      .values({
        id: 'att_01JDQ7Z1V3N8G4XK2M6R9T5B7C',
        delivery_id: deliveryId,
        attempt: 1,
        outcome: 'http_error',
        status_code: 503,
        duration_ms: 12,
        response_snippet: 'busy',
        error: null,
        started_at: new Date(),
      })
      .execute();
    const res = await request(f.http)
      .get(`/api/v1/events/${eventId}`)
      .set(...auth(f.key))
      .expect(200);
    expect(res.body).toMatchObject({ id: eventId, status: 'recorded', data: { ip: '203.0.113.7' } });
    expect(res.body.deliveries).toEqual([
      expect.objectContaining({
        id: deliveryId,
        webhookId: webhook.id,
        status: 'pending',
        attempts: [
          expect.objectContaining({ attempt: 1, outcome: 'http_error', statusCode: 503, durationMs: 12 }),
        ],
      }),
    ]);
    const other = await request(f.http)
      .get(`/api/v1/events/${eventId}`)
      .set(...auth(f.otherKey))
      .expect(404);
    expect(other.body.error.code).toBe('not_found');
  });

  test.each([['msg_nope'], ['msg_01JDQ7Z1V3N8G4XK2M6R9T5B7C'], ['%00'], ['x'.repeat(5000)]])(
    'when the event id %s does not exist, the answer is 404',
    async (id) => {
      await request(f.http)
        .get(`/api/v1/events/${id}`)
        .set(...auth(f.key))
        .expect(404);
    },
  );
});
