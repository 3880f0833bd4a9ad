import { randomBytes } from 'node:crypto';
import { CLI_ACTOR, createApiKey, createApp } from '@herald/engine';
import {
  createTestRedis,
  createTestDatabase,
  deleteKeysWithPrefix,
  startFakeDiscord,
  startProcess,
  startReceiver,
  uniquePrefix,
  waitUntil,
  type FakeDiscord,
  type Receiver,
  type RunningProcess,
  type TestDatabase,
} from '@herald/testkit';

// What the admin and worker processes print (JSON lines, pino) while a
// delivery goes to a Discord-style URL with a token in its path and to
// standard webhooks with signing secrets: one line per delivery outcome at
// info, attempts at debug, request and job ids present, no secret material.

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const hex = (bytes = 12) => randomBytes(bytes).toString('hex');

function parseLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LogLine);
}

describe('logs of the admin and worker processes during deliveries', () => {
  let t: TestDatabase;
  let prefix: string;
  const redis = createTestRedis();
  const processes: RunningProcess[] = [];
  const receivers: Receiver[] = [];
  let discord: FakeDiscord | undefined;

  beforeEach(async () => {
    t = await createTestDatabase();
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    await discord?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await t.drop();
  });
  afterAll(() => redis.disconnect());

  test('carry outcomes at info, attempts at debug, request and delivery ids, and none of the secrets', async () => {
    // Secret material, each unique so a leak anywhere is found.
    const secretKey = randomBytes(32).toString('base64');
    const dbPassword = `pgpw${hex()}`;
    const metricsToken = `mt${hex()}`;
    const adminPassword = `pw${hex()}`;
    const discordToken = `dtok${hex()}`;
    const headerToken = `hdr${hex()}`;
    const urlMarker = `path${hex()}`;
    const wrongApiKey = `hk_${hex()}`;
    // Postgres here trusts loopback: the password is sent nowhere but must never be printed.
    const databaseUrl = t.url.replace('postgres://postgres@', `postgres://postgres:${dbPassword}@`);
    expect(databaseUrl).toContain(dbPassword);

    const common = {
      DATABASE_URL: databaseUrl,
      HERALD_QUEUE_PREFIX: prefix,
      HERALD_SECRET_KEY: secretKey,
      HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
      HERALD_METRICS_TOKEN: metricsToken,
      HERALD_LOG_LEVEL: 'debug',
    };
    const worker = startProcess('apps/worker/src/main.ts', {
      env: {
        ...common,
        HERALD_WORKER_PORT: '0',
        HERALD_RETRY_SCHEDULE: '1s',
        HERALD_DELIVERY_TIMEOUT_MS: '2000',
      },
    });
    const admin = startProcess('apps/admin/src/main.ts', {
      env: {
        ...common,
        PORT: '0',
        HERALD_ADMIN_EMAIL: 'ops@example.com',
        HERALD_ADMIN_PASSWORD: adminPassword,
      },
    });
    processes.push(worker, admin);
    await Promise.all([worker.waitFor(/worker started/, 60_000), admin.waitFor(/admin listening/, 60_000)]);
    const adminPort = Number(
      parseLines(admin.output().stdout).find((l) => l.msg === 'admin listening')?.['port'],
    );
    const base = `http://127.0.0.1:${adminPort}`;

    const app = await createApp(t.db, CLI_ACTOR, { name: 'Logs' });
    const { key: apiKey } = await createApiKey(t.db, CLI_ACTOR, { appId: app.id });
    const call = async (
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return {
        status: res.status,
        headers: res.headers,
        body: (await res.json()) as Record<string, unknown>,
      };
    };

    // Standard: 500 first, then 204 (a retry). Another that always fails (dead after one retry).
    let failFirst = true;
    const standard = await startReceiver((_req, res) => {
      if (failFirst) {
        failFirst = false;
        return void res.writeHead(500).end();
      }
      res.writeHead(204).end();
    });
    const broken = await startReceiver((_req, res) => void res.writeHead(500).end());
    receivers.push(standard, broken);
    discord = await startFakeDiscord();

    const created = await Promise.all([
      call('POST', '/webhooks', {
        url: `${standard.url}/in/${urlMarker}?token=${urlMarker}`,
        headers: { authorization: `Bearer ${headerToken}` },
      }),
      call('POST', '/webhooks', { url: `${broken.url}/broken/${urlMarker}` }),
      call('POST', '/webhooks', {
        url: `${discord.receiver.url}/api/webhooks/987654321/${discordToken}`,
        format: 'discord',
      }),
    ]);
    expect(created.map((c) => c.status)).toEqual([201, 201, 201]);
    const secrets = created.map((c) => c.body['secret'] as string);
    const rotated = await call('POST', `/webhooks/${created[0].body['id'] as string}/rotate-secret`, {
      graceSeconds: 60,
    });
    expect(rotated.status).toBe(200);

    // Refusals that carry secrets in the request: a wrong key, a panel login.
    expect(
      (await call('GET', '/webhooks', undefined, { authorization: `Bearer ${wrongApiKey}` })).status,
    ).toBe(401);
    await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'ops@example.com', password: adminPassword }).toString(),
      redirect: 'manual',
    });
    expect(
      (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).status,
    ).toBe(200);

    // A caller's request id that is not plain (too long, odd characters) is replaced, not echoed or logged.
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const odd of ['x'.repeat(129), 'a b', '{"level":60}']) {
      const answer = await call('GET', '/webhooks', undefined, { 'x-request-id': odd });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-request-id')).toMatch(uuid);
    }

    const published = await call(
      'POST',
      '/events',
      { type: 'license.redeem', data: { user: 'u_1' } },
      { 'x-request-id': 'req-logs-1' },
    );
    expect(published.status).toBe(202);
    expect(published.headers.get('x-request-id')).toBe('req-logs-1');
    const eventId = published.body['id'] as string;

    await standard.waitForRequests(2, 20_000);
    await broken.waitForRequests(2, 20_000);
    await waitUntil(() => discord!.accepted.length === 1, { what: 'the Discord message' });
    await worker.waitFor(/"msg":"delivery dead"/, 20_000);
    await waitUntil(
      () => parseLines(worker.output().stdout).filter((l) => l.msg === 'delivery succeeded').length === 2,
      { what: 'both successes logged' },
    );
    const [workerExit, adminExit] = await Promise.all([worker.stop('SIGTERM'), admin.stop('SIGTERM')]);
    expect([workerExit.code, adminExit.code]).toEqual([0, 0]);

    const workerLines = parseLines(workerExit.stdout);
    const adminLines = parseLines(adminExit.stdout);

    // No secret material anywhere, on stdout or stderr, of either process.
    const everything = [workerExit.stdout, workerExit.stderr, adminExit.stdout, adminExit.stderr].join('\n');
    const material = {
      secretKey,
      dbPassword,
      metricsToken,
      adminPassword,
      discordToken,
      headerToken,
      urlMarker,
      apiKey,
      wrongApiKey,
      rotatedSecret: rotated.body['secret'] as string,
      ...Object.fromEntries(secrets.map((s, i) => [`signingSecret${i}`, s])),
    };
    for (const [name, value] of Object.entries(material)) {
      expect(value.length).toBeGreaterThan(10);
      expect({ name, leaked: everything.includes(value) }).toEqual({ name, leaked: false });
    }
    // Signing secrets also without their whsec_ prefix (the base64 key itself).
    for (const s of secrets) expect(everything).not.toContain(s.replace(/^whsec_/, ''));

    // Worker: one line at info or above per delivery outcome, each failed attempt at debug.
    const deliveryIds = (
      await t.db.selectFrom('deliveries').select(['id', 'status']).where('event_id', '=', eventId).execute()
    ).map((d) => d.id);
    expect(deliveryIds).toHaveLength(3);
    const outcomes = workerLines.filter((l) => l.level >= 30 && /^delivery (succeeded|dead)$/.test(l.msg));
    expect(outcomes.map((l) => l.deliveryId).sort()).toEqual([...deliveryIds].sort());
    expect(outcomes.map((l) => [l.msg, l.level]).sort()).toEqual([
      ['delivery dead', 40],
      ['delivery succeeded', 30],
      ['delivery succeeded', 30],
    ]);
    const retries = workerLines.filter((l) => l.msg === 'delivery failed; retry scheduled');
    expect(retries).toHaveLength(2);
    expect(retries.every((l) => l.level === 20 && l['statusCode'] === 500)).toBe(true);
    for (const l of [...outcomes, ...retries]) {
      expect(l).toMatchObject({
        eventId,
        deliveryId: expect.stringMatching(/^dlv_/),
        webhookId: expect.any(String),
      });
    }

    // Admin: one line per request with its id (the caller's, or a fresh one), never the query or a header.
    const publishLine = adminLines.find((l) => l.msg === 'request' && l['requestId'] === 'req-logs-1');
    expect(publishLine).toMatchObject({ level: 30, method: 'POST', path: '/api/v1/events', status: 202 });
    const refused = adminLines.find((l) => l.msg === 'request' && l['status'] === 401);
    expect(refused?.['requestId']).toEqual(expect.stringMatching(uuid));
    expect(
      adminLines.some((l) => l['requestId'] === 'a b' || String(l['requestId']).startsWith('xxxx')),
    ).toBe(false);
    const requestLines = adminLines.filter((l) => l.msg === 'request');
    expect(new Set(requestLines.map((l) => l['requestId'])).size).toBe(requestLines.length);
    expect(requestLines.some((l) => l['path'] === '/metrics')).toBe(false);
  });
});
