import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import {
  createTestDatabase,
  runProcess,
  startProcess,
  startReceiver,
  unusedPort,
  waitUntil,
  type Receiver,
  type RunningProcess,
  type TestDatabase,
} from '@herald/testkit';

// HERALD_QUEUE_BACKEND=postgres end to end, as an operator runs it: no Redis
// anywhere (REDIS_URL points at a port nobody listens on), `pnpm migrate`
// makes BullMQ's schema, the processes refuse to start without it.
describe('Postgres-only mode (HERALD_QUEUE_BACKEND=postgres)', () => {
  const secretKey = randomBytes(32).toString('base64');
  let deadRedisUrl: string;
  const running: RunningProcess[] = [];
  const databases: TestDatabase[] = [];
  let receiver: Receiver | undefined;

  const envFor = (t: TestDatabase, extra: Record<string, string> = {}): Record<string, string> => ({
    DATABASE_URL: t.url,
    REDIS_URL: deadRedisUrl,
    HERALD_QUEUE_BACKEND: 'postgres',
    HERALD_SECRET_KEY: secretKey,
    HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
    ...extra,
  });
  const database = async (options: { migrated?: boolean } = {}): Promise<TestDatabase> => {
    const t = await createTestDatabase(options);
    databases.push(t);
    return t;
  };
  /** One query on the test's database, outside Herald's code. */
  const query = async <R extends pg.QueryResultRow>(t: TestDatabase, text: string): Promise<R[]> => {
    const client = new pg.Client({ connectionString: t.url });
    await client.connect();
    try {
      return (await client.query<R>(text)).rows;
    } finally {
      await client.end();
    }
  };
  const cli = async (t: TestDatabase, args: string[]) => {
    const r = await runProcess('apps/cli/src/main.ts', { env: envFor(t), args: [...args, '--json'] });
    if (r.code !== 0) throw new Error(`herald ${args.join(' ')} failed:\n${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  beforeAll(async () => {
    deadRedisUrl = `redis://127.0.0.1:${await unusedPort()}`;
  });
  afterAll(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
    await receiver?.close();
    for (const t of databases) await t.drop();
  });

  test('when pnpm migrate runs in Postgres-only mode, BullMQ gets its own schema beside Herald’s tables', async () => {
    const t = await database({ migrated: false });
    const r = await runProcess('apps/cli/src/migrate.ts', { env: envFor(t) });
    expect(r.code).toBe(0);
    const rows = await query<{ job: string | null; meta: string | null; webhooks: string | null }>(
      t,
      `select to_regclass('bullmq.job')::text as job, to_regclass('bullmq.meta')::text as meta,
              to_regclass('public.webhooks')::text as webhooks`,
    );
    expect(rows[0]).toEqual({ job: 'bullmq.job', meta: 'bullmq.meta', webhooks: 'webhooks' });
    // BullMQ's generic names stay out of Herald's schema.
    const strays = await query<{ n: string }>(
      t,
      `select count(*)::text as n from pg_tables
        where schemaname = 'public' and tablename in ('job', 'event', 'meta', 'scheduler')`,
    );
    expect(strays[0]!.n).toBe('0');
  });

  test('when the queue schema is missing, the worker refuses to start and says to run pnpm migrate', async () => {
    const t = await database();
    await query(t, 'drop schema bullmq cascade');
    const r = await runProcess('apps/worker/src/main.ts', { env: envFor(t, { HERALD_WORKER_PORT: '0' }) });
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/queue schema "bullmq" is missing or behind.*run pnpm migrate/);
  });

  test('when admin and worker run with no Redis, readiness checks Postgres only and the CLI delivers an event end to end', async () => {
    const t = await database();
    const adminPort = await unusedPort();
    const workerPort = await unusedPort();
    const admin = startProcess('apps/admin/src/main.ts', { env: envFor(t, { PORT: String(adminPort) }) });
    const worker = startProcess('apps/worker/src/main.ts', {
      env: envFor(t, { HERALD_WORKER_PORT: String(workerPort), HERALD_RETRY_SCHEDULE: '1s,1s' }),
    });
    running.push(admin, worker);
    await admin.waitFor(/admin listening/);
    await worker.waitFor(/worker started/);
    for (const port of [adminPort, workerPort]) {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', checks: { postgres: 'ok' } });
    }

    // The receiver fails once: the retry runs on the Postgres queue too.
    let calls = 0;
    receiver = await startReceiver((_req, res) => void res.writeHead(++calls === 1 ? 500 : 204).end());
    const app = await cli(t, ['app', 'create', 'Postgres only']);
    const webhook = await cli(t, ['webhook', 'add', '--app', String(app['id']), '--url', receiver.url]);
    const published = await cli(t, [
      'publish',
      '--app',
      String(app['id']),
      '--type',
      'user.created',
      '--data',
      '{"user":"u1"}',
      '--idempotency-key',
      'once',
    ]);
    const again = await cli(t, [
      'publish',
      '--app',
      String(app['id']),
      '--type',
      'user.created',
      '--data',
      '{"user":"u2"}',
      '--idempotency-key',
      'once',
    ]);
    expect(again['ids']).toEqual(published['ids']);
    const requests = await receiver.waitForRequests(2, 30_000);
    const secret = String(webhook['secret']);
    for (const req of requests) {
      expect(req.headers['webhook-id']).toBe((published['ids'] as string[])[0]);
      expect(new StandardWebhook(secret).verify(req.body, req.headers)).toEqual(
        expect.objectContaining({ data: { user: 'u1' } }),
      );
    }
    await waitUntil(
      async () => {
        const row = await t.db.selectFrom('deliveries').select(['status', 'attempts']).executeTakeFirst();
        return row?.status === 'succeeded' && row.attempts === 2;
      },
      { what: 'the delivery succeeded on its second attempt' },
    );
    // Nothing ever tried Redis: no connection error was logged.
    expect(admin.output().stdout + worker.output().stdout).not.toMatch(/redis connection error/);
    const [a, w] = await Promise.all([admin.stop('SIGTERM'), worker.stop('SIGTERM')]);
    expect([a.code, w.code]).toEqual([0, 0]);
  });
});
