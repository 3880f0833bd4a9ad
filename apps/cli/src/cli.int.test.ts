import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Herald } from '@herald/client';
import {
  CLI_ACTOR,
  createApp,
  createEngine,
  createRedisSharedState,
  createWebhook,
  findAdminByEmail,
  findApiKeyByToken,
  verifyPassword,
  type Engine,
} from '@herald/engine';
import { QUEUE_NAMES, createRedisQueueBackend, type EventJobData, type HeraldQueue } from '@herald/queue';
import { createKeyring } from '@herald/signing';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  createTestRedis,
  deleteKeysWithPrefix,
  runProcess,
  startProcess,
  startReceiver,
  uniquePrefix,
  unusedPort,
  waitUntil,
  type ProcessResult,
  type Receiver,
  type RunningProcess,
  type TestDatabase,
} from '@herald/testkit';

const CLI = 'apps/cli/src/main.ts';
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PASSWORD = 'correct horse battery staple';
// One key for the CLI, the worker and this file, so each reads the others' secrets.
const SECRET_KEY = randomBytes(32).toString('base64');

/** The fields the commands print; each test reads those of its own command. */
interface CliJson {
  [field: string]: unknown;
  id: string;
  key: string;
  prefix: string;
  secret: string;
  published: number;
  ids: string[];
  error: { code: string; message: string };
}
interface CliResult extends ProcessResult {
  json: CliJson;
}

describe('pnpm herald', () => {
  let t: TestDatabase;
  let redis: Redis;
  let engine: Engine;
  let client: Herald;
  let worker: RunningProcess;
  let tmp: string;
  let idleEvents: HeraldQueue;
  const receivers: Receiver[] = [];
  // The worker consumes `prefix`; nothing consumes `idlePrefix`, so what the
  // CLI publishes there stays in the queue for the test to read.
  const prefix = uniquePrefix();
  const idlePrefix = uniquePrefix();

  function envFor(queuePrefix: string): Record<string, string> {
    return {
      DATABASE_URL: t.url,
      REDIS_URL: TEST_REDIS_URL,
      HERALD_QUEUE_PREFIX: queuePrefix,
      HERALD_SECRET_KEY: SECRET_KEY,
      HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
    };
  }

  /** Runs the CLI with --json and checks stdout is exactly one JSON document. */
  async function herald(
    args: string[],
    options: { stdin?: string; queuePrefix?: string; env?: Record<string, string | undefined> } = {},
  ): Promise<CliResult> {
    const env = Object.fromEntries(
      Object.entries({ ...envFor(options.queuePrefix ?? prefix), ...options.env }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
    const result = await runProcess(CLI, {
      env,
      args: [...args, '--json'],
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    });
    const documents = result.stdout.split('\n').filter((line) => line.trim() !== '');
    if (documents.length !== 1) {
      throw new Error(`expected one JSON document on stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    }
    return { ...result, json: JSON.parse(documents[0]!) as CliJson };
  }

  async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  }

  async function newApp(name = 'test app'): Promise<string> {
    return (await createApp(t.db, CLI_ACTOR, { name })).id;
  }

  async function deliveryRows(webhookId: string) {
    return t.db.selectFrom('deliveries').selectAll().where('webhook_id', '=', webhookId).execute();
  }

  async function waitForDeliveries(webhookId: string, status: string, count: number) {
    return waitUntil(
      async () => {
        const rows = await deliveryRows(webhookId);
        return rows.filter((r) => r.status === status).length >= count ? rows : undefined;
      },
      { what: `${count} ${status} deliveries`, timeoutMs: 30_000 },
    );
  }

  async function idleQueueSize(): Promise<number> {
    const counts = await idleEvents.getJobCounts('waiting', 'delayed', 'prioritized', 'active');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    redis = createTestRedis();
    tmp = await mkdtemp(join(tmpdir(), 'herald-cli-'));
    engine = createEngine({
      db: t.db,
      queue: createRedisQueueBackend(redis, prefix),
      shared: createRedisSharedState(redis, prefix),
      keyring: createKeyring(Buffer.from(SECRET_KEY, 'base64')),
      allowPrivateNetworks: true,
    });
    client = new Herald({ connection: redis, queuePrefix: prefix });
    idleEvents = createRedisQueueBackend(redis, idlePrefix).createQueue(QUEUE_NAMES.events);
    worker = startProcess('apps/worker/src/main.ts', {
      env: { ...envFor(prefix), HERALD_WORKER_PORT: '0', HERALD_RETRY_SCHEDULE: '1s,1s' },
    });
    await worker.waitFor(/worker started/);
  });

  afterAll(async () => {
    await worker?.stop('SIGTERM');
    await Promise.all(receivers.map((r) => r.close()));
    await idleEvents?.close();
    await client?.close();
    await engine?.close();
    if (redis) {
      await deleteKeysWithPrefix(redis, prefix);
      await deleteKeysWithPrefix(redis, idlePrefix);
      await redis.quit();
    }
    if (tmp) await rm(tmp, { recursive: true, force: true });
    await t?.drop();
  });

  describe('app create, key create, webhook add', () => {
    test('when an app is created, the result is {id, name, createdAt} and the app exists', async () => {
      const r = await herald(['app', 'create', 'Launcher Prod']);
      expect(r.code).toBe(0);
      expect(Object.keys(r.json).sort()).toEqual(['createdAt', 'id', 'name']);
      expect(r.json).toEqual({
        id: expect.stringMatching(/^app_[0-9A-Z]{26}$/),
        name: 'Launcher Prod',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      });
      const row = await t.db.selectFrom('apps').selectAll().where('id', '=', r.json.id).executeTakeFirst();
      expect(row?.name).toBe('Launcher Prod');
    });

    test('when run without --json, it prints key: value lines and nothing on stderr', async () => {
      const r = await runProcess(CLI, { env: envFor(prefix), args: ['app', 'create', 'Human'] });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^id: +app_[0-9A-Z]{26}$/m);
      expect(r.stdout).toMatch(/^name: +Human$/m);
      expect(r.stderr).toBe('');
    });

    test('when a key is created, the result is {id, appId, prefix, key}, the key works, and no log shows it', async () => {
      const appId = await newApp();
      const r = await herald(['key', 'create', '--app', appId, '--name', 'ci']);
      expect(r.code).toBe(0);
      expect(Object.keys(r.json).sort()).toEqual(['appId', 'id', 'key', 'prefix']);
      expect(r.json).toEqual({
        id: expect.stringMatching(/^key_/),
        appId,
        prefix: expect.stringMatching(/^hk_/),
        key: expect.stringMatching(/^hk_/),
      });
      expect(r.json.key.startsWith(r.json.prefix)).toBe(true);
      expect((await findApiKeyByToken(t.db, r.json.key))?.id).toBe(r.json.id);
      expect(r.stderr).not.toContain(r.json.key);
    });

    test('when a key is created with --scope ingest, it is stored as an ingest-only key', async () => {
      const appId = await newApp();
      const r = await herald(['key', 'create', '--app', appId, '--scope', 'ingest']);
      expect(r.code).toBe(0);
      expect(Object.keys(r.json).sort()).toEqual(['appId', 'id', 'key', 'prefix']);
      expect((await findApiKeyByToken(t.db, r.json.key))?.scope).toBe('ingest');
      const full = await herald(['key', 'create', '--app', appId]);
      expect((await findApiKeyByToken(t.db, full.json.key))?.scope).toBe('full');
    });

    test('when event-types is run for an app, it adds the types that app published beyond the catalog', async () => {
      const appId = await newApp();
      for (const [i, type] of ['order.shipped', 'payment.failed', 'order.shipped'].entries()) {
        await t.db
          .insertInto('events')
          .values({
            id: `msg_01JD00000000000000000000${i}0`,
            app_id: appId,
            type,
            payload: '{}',
            created_at: new Date(),
          })
          .execute();
      }
      const r = await herald(['event-types', '--app', appId]);
      expect(r.code).toBe(0);
      const catalog = r.json['catalog'] as { type: string; published: boolean }[];
      expect(catalog.find((e) => e.type === 'payment.failed')?.published).toBe(true);
      expect(catalog.find((e) => e.type === 'user.register')?.published).toBe(false);
      expect(r.json['others']).toEqual(['order.shipped']);
    });

    test('when a webhook is added with every option, the result is the API webhook object plus secret', async () => {
      const appId = await newApp();
      const r = await herald([
        'webhook',
        'add',
        '--app',
        appId,
        '--url',
        'http://127.0.0.1:9/hooks/herald',
        '--events',
        'auth.*,user.created',
        '--format',
        'slack',
        '--user-agent',
        'Acme-Hooks/2',
        '--description',
        'audit feed',
        '--header',
        'X-Team: a: b',
        '--header',
        'X-Env:prod',
        '--rate-limit',
        '50',
      ]);
      expect(r.code).toBe(0);
      expect(Object.keys(r.json).sort()).toEqual(
        [
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
          'secret',
        ].sort(),
      );
      expect(r.json).toEqual({
        id: expect.stringMatching(/^wh_/),
        url: 'http://127.0.0.1:9/hooks/herald',
        description: 'audit feed',
        userAgent: 'Acme-Hooks/2',
        events: ['auth.*', 'user.created'],
        format: 'slack',
        headers: { 'X-Team': 'a: b', 'X-Env': 'prod' },
        enabled: true,
        disabledReason: null,
        rateLimitPerSecond: 50,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
      });
      expect(r.stderr).not.toContain(r.json.secret);
      const row = await t.db
        .selectFrom('webhooks')
        .selectAll()
        .where('id', '=', r.json.id)
        .executeTakeFirst();
      expect(row).toMatchObject({ app_id: appId, rate_limit_per_second: 50, format: 'slack' });
    });

    test('when private networks are not allowed, a webhook to 127.0.0.1 is a validation error naming url', async () => {
      const appId = await newApp();
      const r = await herald(['webhook', 'add', '--app', appId, '--url', 'http://127.0.0.1:8080/x'], {
        env: { HERALD_ALLOW_PRIVATE_NETWORKS: undefined },
      });
      expect(r.code).toBe(1);
      expect(r.json).toEqual({ error: { code: 'validation', message: expect.stringMatching(/\burl\b/) } });
      expect(await t.db.selectFrom('webhooks').select('id').where('app_id', '=', appId).execute()).toEqual(
        [],
      );
    });
  });

  describe('publish, deliveries, replay with a running worker', () => {
    test('when an event is published to a webhook added by the CLI, it is delivered signed, listed as succeeded, and replayable', async () => {
      const since = new Date(Date.now() - 60_000).toISOString();
      const r = await receiver();
      const appId = await newApp();
      const added = await herald([
        'webhook',
        'add',
        '--app',
        appId,
        '--url',
        `${r.url}/hook`,
        '--events',
        'user.*',
      ]);
      expect(added.code).toBe(0);
      const webhookId = added.json.id;

      const published = await herald([
        'publish',
        '--app',
        appId,
        '--type',
        'user.created',
        '--data',
        '{"user":"u1","plan":"pro"}',
        '--idempotency-key',
        'signup-u1',
      ]);
      expect(published.code).toBe(0);
      expect(published.json).toEqual({ published: 1, ids: [expect.stringMatching(/^msg_/)] });
      const eventId = published.json.ids[0]!;

      const [request] = await r.waitForRequests(1, 30_000);
      expect(request!.headers['webhook-id']).toBe(eventId);
      expect(new StandardWebhook(added.json.secret).verify(request!.body, request!.headers)).toEqual({
        type: 'user.created',
        timestamp: expect.any(String),
        data: { user: 'u1', plan: 'pro' },
      });
      const [row] = await waitForDeliveries(webhookId, 'succeeded', 1);

      const listed = await herald(['deliveries', '--webhook', webhookId]);
      expect(listed.code).toBe(0);
      expect(listed.json).toEqual({
        deliveries: [
          { id: row!.id, eventId, webhookId, status: 'succeeded', attempts: 1, nextAttemptAt: null },
        ],
        total: 1,
        nextCursor: null,
      });

      const replayed = await herald(['replay', '--webhook', webhookId, '--since', since]);
      expect(replayed.code).toBe(0);
      expect(replayed.json).toEqual({ replayed: 1 });
      const [, again] = await r.waitForRequests(2, 30_000);
      expect(again!.headers['webhook-id']).toBe(eventId);
      expect(again!.headers['herald-delivery-id']).toBe(row!.id);
    }, 90_000);

    test('when deliveries are listed with --limit 1 and --status, one row comes with the total and a cursor', async () => {
      const r = await receiver();
      const appId = await newApp();
      const { webhook } = await createWebhook(engine, CLI_ACTOR, appId, { url: r.url });
      await client.publishBatch([
        { app: appId, type: 'a', data: { n: 1 } },
        { app: appId, type: 'a', data: { n: 2 } },
      ]);
      const rows = await waitForDeliveries(webhook.id, 'succeeded', 2);
      const newest = [...rows].sort((a, b) => (a.id < b.id ? 1 : -1))[0]!;
      const listed = await herald([
        'deliveries',
        '--webhook',
        webhook.id,
        '--status',
        'succeeded',
        '--limit',
        '1',
      ]);
      expect(listed.code).toBe(0);
      expect(listed.json).toEqual({
        deliveries: [expect.objectContaining({ id: newest.id, status: 'succeeded' })],
        total: 2,
        nextCursor: newest.id,
      });
    });

    test('when a delivery is dead, replay --status dead sends it again and reports {replayed: 1}', async () => {
      const r = await receiver((_req, res) => void res.writeHead(500).end());
      const appId = await newApp();
      const { webhook } = await createWebhook(engine, CLI_ACTOR, appId, { url: r.url });
      await client.publish({ app: appId, type: 'payment.failed', data: {} });
      // HERALD_RETRY_SCHEDULE=1s,1s: three attempts, then dead.
      await waitForDeliveries(webhook.id, 'dead', 1);
      expect(r.requests).toHaveLength(3);
      const since = new Date(Date.now() - 3_600_000).toISOString();
      const replayed = await herald([
        'replay',
        '--webhook',
        webhook.id,
        '--since',
        since,
        '--status',
        'dead',
      ]);
      expect(replayed.json).toEqual({ replayed: 1 });
      await r.waitForRequests(4, 30_000);
    }, 60_000);
  });

  describe('publish --file', () => {
    test('when the file is valid, every event is queued in chunks and the ids come back in order', async () => {
      const appId = await newApp();
      const lines = Array.from({ length: 1_201 }, (_, i) =>
        JSON.stringify({ type: 'bulk.item', data: { i }, ...(i === 0 ? { idempotencyKey: 'bulk-0' } : {}) }),
      );
      lines.splice(1, 0, '', '   ');
      const file = join(tmp, 'events.ndjson');
      await writeFile(file, `${lines.join('\n')}\n`);
      const before = await idleQueueSize();
      const r = await herald(['publish', '--app', appId, '--file', file], { queuePrefix: idlePrefix });
      expect(r.code).toBe(0);
      expect(r.json.published).toBe(1_201);
      expect(r.json.ids).toHaveLength(1_201);
      expect(new Set(r.json.ids).size).toBe(1_201);
      expect(await idleQueueSize()).toBe(before + 1_201);
      const first = (await idleEvents.getJob(r.json.ids[0]!))?.data as EventJobData;
      expect(first).toMatchObject({ appId, type: 'bulk.item', data: { i: 0 }, idempotencyKey: 'bulk-0' });
      const last = (await idleEvents.getJob(r.json.ids[1_200]!))?.data as EventJobData;
      expect(last).toMatchObject({ appId, type: 'bulk.item', data: { i: 1_200 } });
    });

    test('when the file is -, the events are read from stdin', async () => {
      const appId = await newApp();
      const stdin = '{"type":"user.login","data":{"u":1}}\r\n\n{"type":"user.logout","data":{"u":1}}\n';
      const r = await herald(['publish', '--app', appId, '--file', '-'], { stdin, queuePrefix: idlePrefix });
      expect(r.code).toBe(0);
      expect(r.json).toEqual({
        published: 2,
        ids: [expect.stringMatching(/^msg_/), expect.stringMatching(/^msg_/)],
      });
      const types = await Promise.all(
        r.json.ids.map(async (id) => ((await idleEvents.getJob(id))?.data as EventJobData).type),
      );
      expect(types).toEqual(['user.login', 'user.logout']);
    });

    test('when line 3 is broken, the error names line 3 and nothing is published', async () => {
      const appId = await newApp();
      const file = join(tmp, 'bad.ndjson');
      await writeFile(
        file,
        [
          '{"type":"a","data":{}}',
          '{"type":"b","data":{}}',
          '{"type":"c","data":',
          '{"type":"d","data":{}}',
        ].join('\n'),
      );
      const before = await idleQueueSize();
      const r = await herald(['publish', '--app', appId, '--file', file], { queuePrefix: idlePrefix });
      expect(r.code).toBe(1);
      expect(r.json).toEqual({ error: { code: 'validation', message: expect.stringContaining('line 3') } });
      expect(r.json.error.message).not.toMatch(/line [124]\b/);
      expect(await idleQueueSize()).toBe(before);
    });
  });

  describe('errors', () => {
    test.each([
      ['an unknown command', ['frobnicate'], 'usage', 2],
      ['a missing --app', ['key', 'create'], 'usage', 2],
      [
        'an unknown option',
        ['webhook', 'add', '--app', 'app_x', '--url', 'https://example.com', '--secret', 's'],
        'usage',
        2,
      ],
      [
        '--data that is not JSON',
        ['publish', '--app', 'app_x', '--type', 't', '--data', '{nope'],
        'usage',
        2,
      ],
      [
        '--data that is an array',
        ['publish', '--app', 'app_x', '--type', 't', '--data', '[1,2]'],
        'validation',
        1,
      ],
      ['--limit abc', ['deliveries', '--webhook', 'wh_x', '--limit', 'abc'], 'usage', 2],
      ['a --since that is not ISO-8601', ['replay', '--webhook', 'wh_x', '--since', 'yesterday'], 'usage', 2],
      ['an unknown --status', ['deliveries', '--webhook', 'wh_x', '--status', 'done'], 'usage', 2],
      [
        'a --status replay does not take',
        ['replay', '--webhook', 'wh_x', '--since', '2026-01-01', '--status', 'succeeded'],
        'usage',
        2,
      ],
      [
        'an unknown --format',
        ['webhook', 'add', '--app', 'app_x', '--url', 'https://example.com', '--format', 'teams'],
        'usage',
        2,
      ],
      [
        '--rate-limit 0',
        ['webhook', 'add', '--app', 'app_x', '--url', 'https://example.com', '--rate-limit', '0'],
        'usage',
        2,
      ],
    ])(
      'when given %s, stdout is {"error":{code,message}} and the exit code is non-zero',
      async (_what, args, code, exit) => {
        const r = await herald(args);
        expect(r.code).toBe(exit);
        expect(r.json).toEqual({ error: { code, message: expect.any(String) } });
        expect(r.json.error.message.length).toBeGreaterThan(5);
      },
    );

    test('when the app or the webhook does not exist, the code is not_found', async () => {
      const missingApp = await herald([
        'publish',
        '--app',
        'app_00000000000000000000000000',
        '--type',
        't',
        '--data',
        '{}',
      ]);
      expect(missingApp.code).toBe(1);
      expect(missingApp.json.error.code).toBe('not_found');
      const missingWebhook = await herald(['deliveries', '--webhook', 'wh_00000000000000000000000000']);
      expect(missingWebhook.code).toBe(1);
      expect(missingWebhook.json.error.code).toBe('not_found');
    });

    // As a user types it: through pnpm, whose script banner would land on stdout.
    test('when run as `pnpm herald … --json`, stdout holds only the one JSON document', async () => {
      const pnpm = (args: string[]): Promise<{ code: number | null; stdout: string }> =>
        new Promise((resolve, reject) => {
          execFile(
            'pnpm',
            args,
            { cwd: REPO_ROOT, env: { ...process.env, ...envFor(prefix) }, timeout: 30_000 },
            (error, stdout) => {
              if (error && typeof error.code !== 'number') {
                reject(new Error(`pnpm ${args.join(' ')} did not run: ${error.message}`));
              } else resolve({ code: error ? (error.code as number) : 0, stdout });
            },
          );
        });
      const created = await pnpm(['herald', 'app', 'create', 'through pnpm', '--json']);
      expect(created.code).toBe(0);
      expect(JSON.parse(created.stdout)).toEqual({
        id: expect.stringMatching(/^app_/),
        name: 'through pnpm',
        createdAt: expect.any(String),
      });
      const refused = await pnpm(['herald', 'frobnicate', '--json']);
      expect(refused.code).toBe(2);
      expect(JSON.parse(refused.stdout)).toEqual({ error: { code: 'usage', message: expect.any(String) } });
      // `pnpm bench --json` likewise: a usage error leaves stdout empty (a banner would not).
      const bench = await pnpm(['bench', '--only', 'no-such-scenario', '--json']);
      expect(bench.code).toBe(2);
      expect(bench.stdout).toBe('');
    });

    test('when --help is asked for, the commands are listed and the exit code is 0', async () => {
      const r = await runProcess(CLI, { env: { DATABASE_URL: 'nonsense' }, args: ['--help'] });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('webhook add');
      expect(r.stdout).toContain('admin create');
    });
  });

  describe('admin create', () => {
    test('when given an email and a password on stdin, the admin is stored with an argon2id hash of that password', async () => {
      const r = await herald(['admin', 'create', '--email', 'Root@Example.com', '--password-stdin'], {
        stdin: `${PASSWORD}\n`,
      });
      expect(r.code).toBe(0);
      expect(r.json).toEqual({ id: expect.stringMatching(/^adm_/), email: 'Root@Example.com' });
      const admin = await findAdminByEmail(t.db, 'root@example.com');
      expect(admin?.passwordHash).toMatch(/^\$argon2id\$/);
      expect(await verifyPassword(admin!.passwordHash, PASSWORD)).toBe(true);
      expect(r.stderr).not.toContain(PASSWORD);
    });

    test('when the email already exists in another case, it is refused', async () => {
      await herald(['admin', 'create', '--email', 'dup@example.com', '--password-stdin'], {
        stdin: PASSWORD,
      });
      const r = await herald(['admin', 'create', '--email', 'DUP@example.com', '--password-stdin'], {
        stdin: `${PASSWORD}\n`,
      });
      expect(r.code).toBe(1);
      expect(r.json).toEqual({
        error: { code: 'validation', message: expect.stringMatching(/already exists/) },
      });
    });

    test('when the password is shorter than 12 characters, it is refused and nothing is stored', async () => {
      const r = await herald(['admin', 'create', '--email', 'short@example.com', '--password-stdin'], {
        stdin: 'elevenchars\n',
      });
      expect(r.code).toBe(1);
      expect(r.json).toEqual({ error: { code: 'validation', message: expect.stringMatching(/password/) } });
      expect(await findAdminByEmail(t.db, 'short@example.com')).toBeUndefined();
    });
  });

  describe('the initial admin (pnpm admin start-up)', () => {
    async function startAdmin(password: string): Promise<ProcessResult> {
      const admin = startProcess('apps/admin/src/main.ts', {
        env: {
          ...envFor(prefix),
          PORT: String(await unusedPort()),
          HERALD_ADMIN_EMAIL: 'first@example.com',
          HERALD_ADMIN_PASSWORD: password,
        },
      });
      await admin.waitFor(/admin listening/);
      return admin.stop('SIGTERM');
    }

    test('when the admin app starts twice with different passwords, the admin is created once and never changed', async () => {
      const first = await startAdmin(PASSWORD);
      expect(first.stdout).toContain('initial admin created');
      expect(first.stdout + first.stderr).not.toContain(PASSWORD);
      const created = await findAdminByEmail(t.db, 'first@example.com');

      const second = await startAdmin('another password entirely');
      expect(second.stdout).not.toContain('initial admin created');
      const after = await findAdminByEmail(t.db, 'first@example.com');
      expect(after?.passwordHash).toBe(created?.passwordHash);
      expect(await verifyPassword(after!.passwordHash, PASSWORD)).toBe(true);
    }, 60_000);
  });
});
