import request from 'supertest';
import { auth, fieldsOf, keysOf, startApiFixture, type ApiFixture } from './api-fixture.js';

const WEBHOOK_KEYS = [
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
];

describe('API webhooks and deliveries', () => {
  let f: ApiFixture;
  const api = (key = f.key) => ({
    get: (path: string) =>
      request(f.http)
        .get(`/api/v1${path}`)
        .set(...auth(key)),
    post: (path: string) =>
      request(f.http)
        .post(`/api/v1${path}`)
        .set(...auth(key)),
    patch: (path: string) =>
      request(f.http)
        .patch(`/api/v1${path}`)
        .set(...auth(key)),
    delete: (path: string) =>
      request(f.http)
        .delete(`/api/v1${path}`)
        .set(...auth(key)),
  });
  const create = async (body: Record<string, unknown> = {}) =>
    (
      await api()
        .post('/webhooks')
        .send({ url: 'https://example.com/hook', ...body })
        .expect(201)
    ).body as Record<string, unknown> & { id: string; secret: string };

  beforeAll(async () => {
    f = await startApiFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  test('when a webhook is created with only a url, the answer is 201 with the webhook object, its defaults and the secret', async () => {
    const res = await api().post('/webhooks').send({ url: 'https://example.com/hook' }).expect(201);
    expect(keysOf(res.body)).toEqual([...WEBHOOK_KEYS, 'secret'].sort());
    expect(res.body).toEqual({
      id: expect.stringMatching(/^wh_/),
      url: 'https://example.com/hook',
      description: '',
      userAgent: null,
      events: [],
      format: 'standard',
      headers: {},
      enabled: true,
      disabledReason: null,
      rateLimitPerSecond: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      secret: expect.stringMatching(/^whsec_/),
    });
    expect(res.headers['location']).toBe(`/api/v1/webhooks/${res.body.id}`);
    const audit = await f.t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('target_id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_type: 'api_key', action: 'webhook.create', app_id: f.appId });
    expect(audit.actor_label).toMatch(/^hk_/);
    expect(audit.actor_id).toMatch(/^key_/);
  });

  test('when a header is named "__proto__", it is kept as the panel and the CLI keep it (not silently dropped)', async () => {
    const res = await api()
      .post('/webhooks')
      .set('content-type', 'application/json')
      .send('{"url":"https://example.com/proto","headers":{"__proto__":"x","X-Tenant":"acme"}}')
      .expect(201);
    expect(Object.entries(res.body.headers as object).sort()).toEqual([
      ['X-Tenant', 'acme'],
      ['__proto__', 'x'],
    ]);
    const row = await f.t.db
      .selectFrom('webhooks')
      .select('headers')
      .where('id', '=', res.body.id as string)
      .executeTakeFirstOrThrow();
    expect(Object.keys(row.headers as object).sort()).toEqual(['X-Tenant', '__proto__']);
  });

  test('when a webhook is created with every field, each is kept', async () => {
    const body = {
      url: 'https://example.com/all',
      description: 'Ünïcode 🚀 description',
      userAgent: 'Acme/1.0',
      events: ['auth.*', 'user.registered'],
      format: 'discord',
      headers: { 'X-Tenant': 'acme' },
      rateLimitPerSecond: 50,
      enabled: false,
    };
    const created = await create(body);
    const { url, description, userAgent, events, format, headers, rateLimitPerSecond } = body;
    expect(created).toMatchObject({
      url,
      description,
      userAgent,
      events,
      format,
      headers,
      rateLimitPerSecond,
    });
    expect(created.enabled).toBe(false);
    // One write: created paused, not created enabled and then paused.
    const audit = await f.t.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('target_id', '=', created.id)
      .execute();
    expect(audit).toEqual([{ action: 'webhook.create', details: { paused: true } }]);
  });

  test('when a webhook is fetched, it has exactly the webhook object’s keys and no secret', async () => {
    const { id } = await create();
    const res = await api().get(`/webhooks/${id}`).expect(200);
    expect(keysOf(res.body)).toEqual([...WEBHOOK_KEYS].sort());
    expect(JSON.stringify(res.body)).not.toMatch(/whsec_|secret/);
  });

  test('when webhooks are listed with a limit, pages follow nextCursor to the end', async () => {
    const mine = (await api().get('/webhooks?limit=1000').expect(200)).body.data.length as number;
    for (let i = 0; i < 3; i++) await create();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await api()
        .get(`/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...(res.body as { data: { id: string }[] }).data.map((w) => w.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(mine + 3);
    expect(new Set(seen).size).toBe(seen.length);
    // The other app sees none of them.
    expect((await api(f.otherKey).get('/webhooks').expect(200)).body).toEqual({ data: [], nextCursor: null });
  });

  test.each([
    ['limit=0'],
    ['limit=1001'],
    ['limit=abc'],
    ['limit=1.5'],
    ['cursor=nope'],
    ['limit=1&limit=2'],
  ])('when the list query is %s, the answer is 422', async (query) => {
    const res = await api().get(`/webhooks?${query}`).expect(422);
    expect(res.body.error.details[0].field).toMatch(/^(limit|cursor)$/);
  });

  test('when a webhook is patched, only the given fields change; enabled false pauses and true resumes', async () => {
    const { id } = await create({ description: 'before', events: ['a.b'] });
    const res = await api()
      .patch(`/webhooks/${id}`)
      .send({ description: 'after', rateLimitPerSecond: 5 })
      .expect(200);
    expect(res.body).toMatchObject({
      description: 'after',
      events: ['a.b'],
      rateLimitPerSecond: 5,
      enabled: true,
    });
    expect((await api().patch(`/webhooks/${id}`).send({ enabled: false }).expect(200)).body.enabled).toBe(
      false,
    );
    expect((await api().patch(`/webhooks/${id}`).send({ enabled: true }).expect(200)).body.enabled).toBe(
      true,
    );
    expect(
      (await api().patch(`/webhooks/${id}`).send({ userAgent: null }).expect(200)).body.userAgent,
    ).toBeNull();
  });

  test('when a webhook is deleted, the answer is 204, then 404 for every route', async () => {
    const { id } = await create();
    const res = await api().delete(`/webhooks/${id}`).expect(204);
    expect(res.text).toBe('');
    await api().get(`/webhooks/${id}`).expect(404);
    await api().delete(`/webhooks/${id}`).expect(404);
    await api().patch(`/webhooks/${id}`).send({ description: 'x' }).expect(404);
  });

  test('when the secret is rotated, the answer is 200 with a new secret and the old one signs for the grace period', async () => {
    const { id, secret } = await create();
    const res = await api().post(`/webhooks/${id}/rotate-secret`).send({ graceSeconds: 60 }).expect(200);
    expect(res.body.secret).toMatch(/^whsec_/);
    expect(res.body.secret).not.toBe(secret);
    expect(keysOf(res.body)).toEqual([...WEBHOOK_KEYS, 'secret'].sort());
    const row = await f.t.db
      .selectFrom('webhooks')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.previous_secret_expires_at!.getTime()).toBeGreaterThan(Date.now() + 50_000);
    // With no body, the default grace applies.
    await api().post(`/webhooks/${id}/rotate-secret`).expect(200);
    await api().post(`/webhooks/${id}/rotate-secret`).send({ graceSeconds: -1 }).expect(422);
    await api().post(`/webhooks/${id}/rotate-secret`).send({ graceSeconds: '60' }).expect(422);
  });

  test('when a webhook is replayed, dead deliveries in the window are queued again: 202 {replayId, count}', async () => {
    const { id } = await create();
    const { deliveryId } = await f.recordEvent(id);
    await f.t.db
      .updateTable('deliveries')
      .set({ status: 'dead', attempts: 8 })
      .where('id', '=', deliveryId)
      .execute();
    const since = new Date(Date.now() - 60_000).toISOString();
    const res = await api().post(`/webhooks/${id}/replay`).send({ since, status: 'dead' }).expect(202);
    expect(res.body).toEqual({ replayId: expect.stringMatching(/^rpl_/), count: 1 });
    expect(await f.engine.queues.deliveries.getJob(deliveryId)).toBeDefined();
    for (const body of [
      {},
      { since: 'yesterday' },
      { since, status: 'succeeded' },
      { since, until: new Date(Date.now() - 120_000).toISOString() },
    ]) {
      await api().post(`/webhooks/${id}/replay`).send(body).expect(422);
    }
  });

  test('when a delivery is retried, the answer is 202 and its job is queued; another app gets 404', async () => {
    const { id } = await create();
    const { deliveryId } = await f.recordEvent(id);
    await f.t.db.updateTable('deliveries').set({ status: 'dead' }).where('id', '=', deliveryId).execute();
    await api(f.otherKey).post(`/deliveries/${deliveryId}/retry`).expect(404);
    const res = await api().post(`/deliveries/${deliveryId}/retry`).expect(202);
    expect(res.body).toEqual({ id: deliveryId, status: 'pending' });
    const row = await f.t.db
      .selectFrom('deliveries')
      .select('status')
      .where('id', '=', deliveryId)
      .executeTakeFirst();
    expect(row?.status).toBe('pending');
    await api().post('/deliveries/dlv_01JDQ7Z1V3N8G4XK2M6R9T5B7C/retry').expect(404);
    await api().post('/deliveries/nope/retry').expect(404);
  });

  test('when another app’s key touches a webhook, every route answers 404 and nothing changes', async () => {
    const { id } = await create({ description: 'mine' });
    const other = api(f.otherKey);
    await other.get(`/webhooks/${id}`).expect(404);
    await other.patch(`/webhooks/${id}`).send({ description: 'theirs' }).expect(404);
    await other.post(`/webhooks/${id}/rotate-secret`).send({}).expect(404);
    await other
      .post(`/webhooks/${id}/replay`)
      .send({ since: new Date(0).toISOString() })
      .expect(404);
    const res = await other.delete(`/webhooks/${id}`).expect(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'webhook not found' } });
    expect((await api().get(`/webhooks/${id}`).expect(200)).body.description).toBe('mine');
  });

  test.each([
    ['no url', {}, 'url'],
    ['a numeric url', { url: 5 }, 'url'],
    ['a url over 2,048 characters', { url: `https://example.com/${'a'.repeat(2100)}` }, 'url'],
    ['an unknown format', { url: 'https://example.com/', format: 'xml' }, 'format'],
    ['a bad event filter', { url: 'https://example.com/', events: ['a b'] }, 'events'],
    ['events not a list', { url: 'https://example.com/', events: 'auth.*' }, 'events'],
    [
      'a header with CRLF in its value',
      { url: 'https://example.com/', headers: { 'X-A': 'v\r\nInjected: 1' } },
      'headers',
    ],
    ['a header with LF in its name', { url: 'https://example.com/', headers: { 'X-A\nB': 'v' } }, 'headers'],
    ['headers as a list', { url: 'https://example.com/', headers: [['X-A', 'v']] }, 'headers'],
    ['a numeric header value', { url: 'https://example.com/', headers: { 'X-A': 5 } }, 'headers'],
    [
      'a header name over 100 characters',
      { url: 'https://example.com/', headers: { ['X'.repeat(101)]: 'v' } },
      'headers',
    ],
    [
      'a header value over 1,000 characters',
      { url: 'https://example.com/', headers: { 'X-A': 'v'.repeat(1001) } },
      'headers',
    ],
    [
      'a reserved header',
      { url: 'https://example.com/', headers: { 'Webhook-Signature': 'v1,x' } },
      'headers',
    ],
    ['a user agent with CRLF', { url: 'https://example.com/', userAgent: 'A\r\nB' }, 'userAgent'],
    ['a user agent with unicode', { url: 'https://example.com/', userAgent: 'Agënt' }, 'userAgent'],
    ['a description with a NUL', { url: 'https://example.com/', description: 'a\u0000b' }, 'description'],
    ['a rate limit of 0', { url: 'https://example.com/', rateLimitPerSecond: 0 }, 'rateLimitPerSecond'],
    [
      'a fractional rate limit',
      { url: 'https://example.com/', rateLimitPerSecond: 1.5 },
      'rateLimitPerSecond',
    ],
    ['enabled as a string', { url: 'https://example.com/', enabled: 'false' }, 'enabled'],
    ['an unknown field', { url: 'https://example.com/', secret: 'whsec_x' }, 'secret'],
  ] as [string, Record<string, unknown>, string][])(
    'when a webhook is created with %s, the answer is 422 and nothing is stored',
    async (_what, body, field) => {
      const before = await f.t.db
        .selectFrom('webhooks')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      const res = await api().post('/webhooks').send(body).expect(422);
      expect(res.body.error.code).toBe('validation_failed');
      expect(fieldsOf(res)).toContain(field);
      const after = await f.t.db
        .selectFrom('webhooks')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(after.n).toBe(before.n);
    },
  );

  test.each([
    ['a JSON array', '[]', 422],
    ['null', 'null', 422],
    ['malformed JSON', '{"url":', 400],
  ])('when the webhook body is %s, the answer is %i', async (_what, body, status) => {
    await api().post('/webhooks').set('Content-Type', 'application/json').send(body).expect(status);
  });

  test('when the webhook body is not JSON, the answer is 415', async () => {
    await api().post('/webhooks').type('form').send('url=https://example.com/').expect(415);
  });

  test.each([['wh_nope'], ['wh_01JDQ7Z1V3N8G4XK2M6R9T5B7C'], ['%00'], ['..%2F..%2Fetc']])(
    'when the webhook id %s does not exist, the answer is 404',
    async (id) => {
      const res = await api().get(`/webhooks/${id}`).expect(404);
      expect(res.body.error.code).toBe('not_found');
    },
  );

  test('when a path does not decode, the answer is a JSON 400', async () => {
    const res = await api().get('/webhooks/%E0%A4%A').expect(400);
    expect(res.body.error.code).toBe('bad_request');
  });
});

describe('API webhook URLs when private networks are not allowed', () => {
  let f: ApiFixture;
  // No test touches real DNS: names resolve from this table; others do not resolve.
  const table: Record<string, string[]> = {
    'example.com': ['93.184.215.14'],
    'internal.example': ['10.1.2.3'],
    'mixed.example': ['93.184.215.14', '127.0.0.1'],
    'metadata.example': ['169.254.169.254'],
    'v6.example': ['::1'],
    'nip.example': ['192.168.0.1'],
  };
  beforeAll(async () => {
    f = await startApiFixture({
      allowPrivateNetworks: false,
      resolveHost: (host) =>
        table[host]
          ? Promise.resolve(table[host])
          : Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })),
    });
  });
  afterAll(async () => {
    await f.close();
  });

  const REFUSED = [
    'http://127.0.0.1/hook',
    'http://127.1/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://017700000001/',
    'http://localhost:8080/',
    'http://api.localhost/',
    'http://LOCALHOST/',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://169.254.1.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://[::1]:3000/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::127.0.0.1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://[64:ff9b::10.0.0.1]/',
    'http://[2002:7f00:1::]/',
    'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/',
    'http://[fe80::1]/',
    'http://[fc00::1]/',
    'http://0.0.0.0/',
    'http://0/',
    'http://[::]/',
    'http://224.0.0.1/',
    'http://[ff02::1]/',
    'http://255.255.255.255/',
    'http://240.0.0.1/',
    'http://198.18.0.1/',
    'https://user:pass@example.com/',
    'https://user@example.com/',
    'ftp://example.com/file',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/plain,hello',
    'gopher://example.com/',
    'example.com/hook',
    'http://',
    'http://[fe80::1%25eth0]/',
    'http://internal.example/',
    'http://mixed.example/',
    'http://metadata.example/',
    'http://v6.example/',
    'http://nip.example/',
    'http://example.com:0/',
    ' http://127.0.0.1/',
    'http://exa mple.com/',
  ];

  test(`when any of ${REFUSED.length} SSRF URL forms is given, create and update are 422 on url and nothing is stored or published`, async () => {
    expect(REFUSED.length).toBeGreaterThanOrEqual(40);
    const ok = await request(f.http)
      .post('/api/v1/webhooks')
      .set(...auth(f.key))
      .send({ url: 'https://example.com/hook' })
      .expect(201);
    const failures: string[] = [];
    for (const url of REFUSED) {
      const created = await request(f.http)
        .post('/api/v1/webhooks')
        .set(...auth(f.key))
        .send({ url });
      const updated = await request(f.http)
        .patch(`/api/v1/webhooks/${ok.body.id}`)
        .set(...auth(f.key))
        .send({ url });
      for (const res of [created, updated]) {
        const fields = fieldsOf(res);
        if (res.status !== 422 || !fields.includes('url'))
          failures.push(`${url} → ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(failures).toEqual([]);
    const rows = await f.t.db.selectFrom('webhooks').select(['url']).execute();
    expect(rows).toEqual([{ url: 'https://example.com/hook' }]);
    expect(await f.publishedCount()).toBe(0);
  });

  test('when the name does not resolve, the webhook is accepted with a Warning header (the connect-time check still applies)', async () => {
    const created = await request(f.http)
      .post('/api/v1/webhooks')
      .set(...auth(f.key))
      .send({ url: 'https://not-yet.example/hook' })
      .expect(201);
    expect(created.headers['warning']).toMatch(
      /^299 herald "host not-yet\.example did not resolve \(ENOTFOUND\)/,
    );
    const updated = await request(f.http)
      .patch(`/api/v1/webhooks/${created.body.id}`)
      .set(...auth(f.key))
      .send({ url: 'https://still-not.example/hook' })
      .expect(200);
    expect(updated.headers['warning']).toContain('host still-not.example did not resolve');
    // A name that resolves: no warning.
    const fine = await request(f.http)
      .patch(`/api/v1/webhooks/${created.body.id}`)
      .set(...auth(f.key))
      .send({ url: 'https://example.com/hook' })
      .expect(200);
    expect(fine.headers['warning']).toBeUndefined();
  });
});
