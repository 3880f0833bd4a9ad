import pg from 'pg';
import {
  TEST_POSTGRES_URL,
  createTestDatabase,
  createTestRedis,
  deleteKeysWithPrefix,
  dropDatabase,
  runProcess,
  startProcess,
  uniqueName,
  uniquePrefix,
  unusedPort,
  type RunningProcess,
} from '@herald/testkit';
import { withDatabaseName } from '@herald/db';

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return ((await client.query('select 1 from pg_database where datname = $1', [name])).rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe('pnpm start', () => {
  test('when DATABASE_URL and REDIS_URL are nonsense, it exits non-zero before migrating, naming both', async () => {
    const r = await runProcess('apps/cli/src/start.ts', {
      env: { DATABASE_URL: 'nonsense', REDIS_URL: 'nonsense' },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/DATABASE_URL/);
    expect(r.stderr).toMatch(/REDIS_URL/);
    expect(r.stderr).not.toMatch(/migrat/i);
    expect(r.stdout).toBe('');
  });

  /** `pnpm start` in services mode on a database of its own (created by its migrate) and a queue prefix of its own. */
  async function startServices(): Promise<{
    running: RunningProcess;
    name: string;
    port: number;
    workerPort: number;
    cleanUp: () => Promise<void>;
  }> {
    const name = uniqueName('herald_start');
    const port = await unusedPort();
    const workerPort = await unusedPort();
    const prefix = uniquePrefix();
    const running = startProcess('apps/cli/src/start.ts', {
      env: {
        DATABASE_URL: withDatabaseName(TEST_POSTGRES_URL, name),
        PORT: String(port),
        HERALD_WORKER_PORT: String(workerPort),
        HERALD_QUEUE_PREFIX: prefix,
      },
    });
    const cleanUp = async (): Promise<void> => {
      await running.stop('SIGKILL');
      await dropDatabase(name);
      // The worker's schedulers (reconcile, prune) and queue ids stay under the prefix.
      const redis = createTestRedis();
      await deleteKeysWithPrefix(redis, `${prefix}:`);
      await redis.quit();
    };
    try {
      await running.waitFor(/admin listening/);
      await running.waitFor(/worker started/);
    } catch (error) {
      await cleanUp();
      throw error;
    }
    return { running, name, port, workerPort, cleanUp };
  }

  test('when started on a new database, it migrates, serves /readyz 200, and stops cleanly on SIGTERM', async () => {
    const { running, name, port, workerPort, cleanUp } = await startServices();
    try {
      expect(await databaseExists(name)).toBe(true);
      expect(await getJson(`http://127.0.0.1:${port}/readyz`)).toEqual({
        status: 200,
        body: { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } },
      });
      expect((await getJson(`http://127.0.0.1:${workerPort}/readyz`)).status).toBe(200);
      const result = await running.stop('SIGTERM');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/"msg":"stopped"/);
    } finally {
      await cleanUp();
    }
  });

  test('when Ctrl-C reaches every process at once (terminal, systemd), each drains gracefully and it exits 0', async () => {
    const { running, cleanUp } = await startServices();
    try {
      // The process group's members, by the pids their log lines carry: pnpm start, admin, worker.
      const pidOf = (msg: string): number =>
        Number(new RegExp(`"pid":(\\d+)[^\\n]*"msg":"${msg}"`).exec(running.output().stdout)?.[1]);
      const pids = [running.pid, pidOf('admin listening'), pidOf('worker started')];
      expect(pids.every((pid) => pid > 0)).toBe(true);
      // The terminal signals each of them, and pnpm start forwards it to its children as well.
      for (const pid of pids) process.kill(pid, 'SIGINT');
      const result = await running.exited;
      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain('second signal');
      expect(result.stdout.match(/"msg":"stopped"/g)).toHaveLength(2);
    } finally {
      await cleanUp();
    }
  });
});

describe('pnpm admin / pnpm worker', () => {
  test('when the database has not been migrated, each exits 1 saying "run pnpm migrate"', async () => {
    const t = await createTestDatabase({ migrated: false });
    try {
      for (const entry of ['apps/admin/src/main.ts', 'apps/worker/src/main.ts']) {
        const r = await runProcess(entry, { env: { DATABASE_URL: t.url, PORT: String(await unusedPort()) } });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('run pnpm migrate');
      }
    } finally {
      await t.drop();
    }
  });

  test('when the worker runs with HERALD_WORKER_PORT=0, it logs its port, is ready there, and exits 0 on SIGTERM', async () => {
    const t = await createTestDatabase();
    // Never the default prefix: that is a developer's own Herald on this Redis.
    const prefix = uniquePrefix();
    const worker = startProcess('apps/worker/src/main.ts', {
      env: { DATABASE_URL: t.url, HERALD_WORKER_PORT: '0', HERALD_QUEUE_PREFIX: prefix },
    });
    try {
      await worker.waitFor(/worker health listening/);
      const line = worker
        .output()
        .stdout.split('\n')
        .find((l) => l.includes('worker health listening'))!;
      const port = (JSON.parse(line) as { port: number }).port;
      expect(port).toBeGreaterThan(0);
      expect((await getJson(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
      expect((await getJson(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      const result = await worker.stop('SIGTERM');
      expect(result.code).toBe(0);
    } finally {
      await worker.stop('SIGKILL');
      await t.drop();
      const redis = createTestRedis();
      await deleteKeysWithPrefix(redis, `${prefix}:`);
      await redis.quit();
    }
  });

  test('when HERALD_QUEUE_BACKEND=postgres comes with a Redis-only setting, start-up is refused with the reason', async () => {
    // Postgres-only mode itself runs (postgres-only.int.test.ts); a prefix would be silently meaningless.
    const r = await runProcess('apps/worker/src/main.ts', {
      env: { HERALD_QUEUE_BACKEND: 'postgres', HERALD_QUEUE_PREFIX: 'other', HERALD_WORKER_PORT: '0' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HERALD_QUEUE_PREFIX.*HERALD_QUEUE_BACKEND=postgres/);
  });
});
