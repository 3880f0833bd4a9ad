import path from 'node:path';
import {
  DelayedError,
  Queue,
  Worker,
  createPostgresBackend,
  type Job,
  type JobProgress,
  type PostgresConnectionOptions,
  type PostgresQueueBackend,
  type Processor,
} from 'bullmq';
import { waitUntil } from '@herald/testkit';
import { openEmbeddedDatabase, type EmbeddedDatabase } from './index.js';
import { makeTempDir } from './testing/temp-dir.js';

interface Payload {
  n: number;
}

type PgQueue = Queue<
  Payload,
  unknown,
  string,
  Payload,
  unknown,
  string,
  PostgresQueueBackend,
  PostgresConnectionOptions
>;
type PgWorker = Worker<
  Payload,
  unknown,
  string,
  PostgresQueueBackend,
  JobProgress,
  PostgresConnectionOptions
>;

describe("BullMQ's Postgres backend on the embedded database", () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let embedded: EmbeddedDatabase;
  const closers: (() => Promise<unknown>)[] = [];
  let queueNumber = 0;

  beforeAll(async () => {
    temp = await makeTempDir();
    embedded = await openEmbeddedDatabase({ dataDir: path.join(temp.path, 'data') });
    await embedded.migrate();
  });
  afterEach(async () => {
    // Workers first: they hold the LISTEN client and may be mid-job.
    for (const close of closers.splice(0).reverse()) await close();
  });
  afterAll(async () => {
    await embedded?.close();
    await temp?.remove();
  });

  function queueName(): string {
    return `test-${(queueNumber += 1)}`;
  }

  function startQueue(name: string): PgQueue {
    const queue: PgQueue = new Queue(name, { connection: embedded.pool }, createPostgresBackend);
    closers.push(() => queue.close());
    return queue;
  }

  function startWorker(
    name: string,
    processor: Processor<Payload>,
    options: { drainDelay?: number; concurrency?: number } = {},
  ): PgWorker {
    const worker: PgWorker = new Worker(
      name,
      processor,
      {
        connection: embedded.pool,
        drainDelay: options.drainDelay ?? 5,
        concurrency: options.concurrency ?? 1,
      },
      createPostgresBackend,
    );
    closers.push(() => worker.close());
    return worker;
  }

  test('a job added to the queue is processed by a worker and completes with its return value', async () => {
    const name = queueName();
    const queue = startQueue(name);
    startWorker(name, async (job) => job.data.n * 2);
    const job = await queue.add('double', { n: 21 });
    await waitUntil(async () => (await queue.getJobState(job.id ?? '')) === 'completed', {
      what: 'completion',
    });
    const done = await queue.getJob(job.id ?? '');
    expect(done?.returnvalue).toBe(42);
    expect(done?.attemptsMade).toBe(1);
  });

  test('a delayed job waits for its delay, then runs', async () => {
    const name = queueName();
    const queue = startQueue(name);
    const startedAt: number[] = [];
    startWorker(name, async () => {
      startedAt.push(Date.now());
    });
    const addedAt = Date.now();
    const job = await queue.add('later', { n: 1 }, { delay: 1_500 });
    expect(await queue.getJobState(job.id ?? '')).toBe('delayed');
    await waitUntil(() => startedAt.length === 1, { what: 'the delayed job to run' });
    expect((startedAt[0] ?? 0) - addedAt).toBeGreaterThanOrEqual(1_500);
  });

  test('a failing job is retried with its backoff until it succeeds', async () => {
    const name = queueName();
    const queue = startQueue(name);
    const attemptsAt: number[] = [];
    startWorker(name, async (job: Job<Payload>) => {
      attemptsAt.push(Date.now());
      if (job.attemptsMade < 2) throw new Error(`attempt ${job.attemptsMade + 1} fails`);
      return 'ok';
    });
    const job = await queue.add('flaky', { n: 1 }, { attempts: 5, backoff: { type: 'fixed', delay: 400 } });
    await waitUntil(async () => (await queue.getJobState(job.id ?? '')) === 'completed', {
      what: 'completion',
    });
    const done = await queue.getJob(job.id ?? '');
    expect(done?.attemptsMade).toBe(3);
    expect(done?.returnvalue).toBe('ok');
    expect(attemptsAt).toHaveLength(3);
    for (let i = 1; i < attemptsAt.length; i += 1) {
      expect((attemptsAt[i] ?? 0) - (attemptsAt[i - 1] ?? 0)).toBeGreaterThanOrEqual(400);
    }
  });

  test('a job that exhausts its attempts fails with the last error', async () => {
    const name = queueName();
    const queue = startQueue(name);
    startWorker(name, async () => {
      throw new Error('always broken');
    });
    const job = await queue.add('doomed', { n: 1 }, { attempts: 2, backoff: { type: 'fixed', delay: 100 } });
    await waitUntil(async () => (await queue.getJobState(job.id ?? '')) === 'failed', { what: 'failure' });
    const failed = await queue.getJob(job.id ?? '');
    expect(failed?.failedReason).toBe('always broken');
    expect(failed?.attemptsMade).toBe(2);
  });

  test('an idle worker is woken by the NOTIFY of a new job, long before its poll would fire', async () => {
    const name = queueName();
    const queue = startQueue(name);
    const startedAt: number[] = [];
    const worker = startWorker(
      name,
      async () => {
        startedAt.push(Date.now());
      },
      { drainDelay: 60 },
    );
    // Let the worker drain the (empty) queue and block on LISTEN.
    await worker.waitUntilReady();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const addedAt = Date.now();
    await queue.add('wake', { n: 1 });
    await waitUntil(() => startedAt.length === 1, { what: 'the wake-up', timeoutMs: 30_000 });
    // The poll is 60 s away: only the notification explains an earlier start.
    expect((startedAt[0] ?? 0) - addedAt).toBeLessThan(30_000);
  });

  test('with concurrency, many jobs are processed exactly once each', async () => {
    const name = queueName();
    const queue = startQueue(name);
    const seen = new Map<number, number>();
    startWorker(
      name,
      async (job) => {
        seen.set(job.data.n, (seen.get(job.data.n) ?? 0) + 1);
      },
      { concurrency: 8 },
    );
    await queue.addBulk(Array.from({ length: 200 }, (_, n) => ({ name: 'bulk', data: { n } })));
    await waitUntil(() => seen.size === 200, { what: 'all 200 jobs', timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect(await queue.getJobCounts('completed', 'waiting', 'active')).toEqual({
      completed: 200,
      waiting: 0,
      active: 0,
    });
  });

  test("jobs whose processors write through Herald's Kysely in transactions and enqueue follow-up jobs all complete, each write once", async () => {
    const fanoutName = queueName();
    const deliverName = queueName();
    const fanout = startQueue(fanoutName);
    const deliver = startQueue(deliverName);
    const appId = `app_mix${Date.now().toString(36)}`;
    await embedded.db.insertInto('apps').values({ id: appId, name: 'Mixed load' }).execute();
    const delivered = new Set<number>();
    // Like the fan-out: rows in a transaction, then (after commit) a job per row.
    startWorker(
      fanoutName,
      async (job) => {
        const eventId = `msg_mix${appId.slice(7)}_${job.data.n}`;
        await embedded.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('events')
            .values({
              id: eventId,
              app_id: appId,
              type: 'mix.test',
              payload: JSON.stringify({ n: job.data.n }),
              created_at: new Date(),
            })
            .onConflict((oc) => oc.column('id').doNothing())
            .execute();
          await trx
            .updateTable('apps')
            .set({ name: `Mixed load ${job.data.n}` })
            .where('id', '=', appId)
            .execute();
        });
        await deliver.add('deliver', { n: job.data.n });
      },
      { concurrency: 10 },
    );
    startWorker(
      deliverName,
      async (job) => {
        delivered.add(job.data.n);
      },
      { concurrency: 10 },
    );
    await fanout.addBulk(Array.from({ length: 100 }, (_, n) => ({ name: 'event', data: { n } })));
    await waitUntil(() => delivered.size === 100, { what: 'all 100 follow-up jobs', timeoutMs: 60_000 });
    const { count } = await embedded.db
      .selectFrom('events')
      .where('app_id', '=', appId)
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .executeTakeFirstOrThrow();
    expect(count).toBe('100');
    expect(await fanout.getJobCounts('completed', 'failed')).toEqual({ completed: 100, failed: 0 });
  });

  test("the BullMQ features Herald's worker relies on work: deduplication, a job scheduler, moveToDelayed + DelayedError, changePriority", async () => {
    const name = queueName();
    const queue = startQueue(name);
    const first = await queue.add('dedup', { n: 1 }, { deduplication: { id: 'app.key-1', ttl: 60_000 } });
    const repeat = await queue.add('dedup', { n: 2 }, { deduplication: { id: 'app.key-1', ttl: 60_000 } });
    expect(repeat.id).toBe(first.id);
    const prioritized = await queue.add('prio', { n: 3 }, { priority: 5 });
    await prioritized.changePriority({ priority: 1 });
    expect(await queue.getJobs(['wait', 'prioritized'], 0, 10, true)).toHaveLength(2);

    const runs = new Map<number, number[]>();
    startWorker(name, async (job, token) => {
      const n = job.data.n;
      runs.set(n, [...(runs.get(n) ?? []), Date.now()]);
      // Like the endpoint gate: the first run is postponed without using an attempt.
      if (n === 1 && runs.get(n)?.length === 1) {
        await job.moveToDelayed(Date.now() + 500, token);
        throw new DelayedError();
      }
    });
    await queue.upsertJobScheduler('tick', { every: 300 }, { name: 'tick', data: { n: 99 } });
    await waitUntil(
      () => (runs.get(1)?.length ?? 0) === 2 && runs.has(3) && (runs.get(99)?.length ?? 0) >= 2,
      {
        what: 'the postponed job, the prioritized job and two scheduler ticks',
      },
    );
    const [postponedAt = 0, rerunAt = 0] = runs.get(1) ?? [];
    expect(rerunAt - postponedAt).toBeGreaterThanOrEqual(450);
    expect(runs.has(2)).toBe(false);
    const done = await queue.getJob(first.id ?? '');
    expect(done?.attemptsMade).toBe(1);
    await queue.removeJobScheduler('tick');
  });
});
