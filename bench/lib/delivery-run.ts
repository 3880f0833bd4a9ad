import { randomBytes } from 'node:crypto';
import { deleteKeysWithPrefix } from '@herald/testkit';
import type { Cleanup } from './cleanup.js';
import type { BenchContext } from './context.js';
import {
  createBenchDatabase,
  startHeraldWorker,
  type BenchDatabase,
  type WorkerProcess,
} from './herald-env.js';
import { startSink, type Sink } from './sink.js';
import { sleep } from './timing.js';
import { parseEnqueuedAtMs, WEBHOOK_EVENT_TYPE } from './webhook.js';
import {
  CLI_ACTOR,
  createApp,
  createEngine,
  createKeyring,
  createRedisQueueBackend,
  createSharedState,
  createWebhook,
  Herald,
  type Db,
  type Engine,
  type PublishInput,
} from './workspace.js';

/**
 * What the receiver saw, by event id (`webhook-id`): every delivery counted,
 * so a lost or a duplicated one shows up against the ids that were published.
 */
export class DeliveryLedger {
  readonly #seen = new Map<string, number>();
  readonly latenciesMs: number[] = [];
  /** Latencies are kept only for deliveries published at or after this `performance.now()`. */
  recordLatencyFrom = Number.POSITIVE_INFINITY;
  received = 0;
  unreadable = 0;
  lastReceivedAt = 0;

  receive(body: Buffer, receivedAt: number, webhookId: string | undefined): void {
    // Runs inside the HTTP server's request handling: never throw.
    this.received += 1;
    this.lastReceivedAt = receivedAt;
    if (webhookId === undefined) {
      this.unreadable += 1;
      return;
    }
    this.#seen.set(webhookId, (this.#seen.get(webhookId) ?? 0) + 1);
    try {
      const publishedAt = parseEnqueuedAtMs(body);
      if (publishedAt >= this.recordLatencyFrom) this.latenciesMs.push(receivedAt - publishedAt);
    } catch {
      this.unreadable += 1;
    }
  }

  /** Published ids never received, and receipts beyond the first of an id (or of an id never published). */
  compare(published: ReadonlySet<string>): { lost: number; duplicated: number } {
    let lost = 0;
    for (const id of published) if (!this.#seen.has(id)) lost += 1;
    let duplicated = 0;
    for (const [id, count] of this.#seen) duplicated += published.has(id) ? count - 1 : count;
    return { lost, duplicated };
  }
}

export interface DbCounts {
  events: number;
  attempts: number;
  succeeded: number;
}

export async function countDeliveryRows(db: Db): Promise<DbCounts> {
  const count = async (query: Promise<{ n: string }>) => Number((await query).n);
  const [events, attempts, succeeded] = await Promise.all([
    count(
      db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow(),
    ),
    count(
      db
        .selectFrom('delivery_attempts')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow(),
    ),
    count(
      db
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('status', '=', 'succeeded')
        .executeTakeFirstOrThrow(),
    ),
  ]);
  return { events, attempts, succeeded };
}

/** Everything a delivery scenario drives, set up with its undo steps registered. */
export interface DeliveryRun {
  readonly queuePrefix: string;
  readonly database: BenchDatabase;
  readonly engine: Engine;
  readonly appId: string;
  readonly sink: Sink;
  readonly ledger: DeliveryLedger;
  readonly herald: Herald;
  readonly secretKey: Buffer;
  /** Every id published through `publish`/`publishBatch` below. */
  readonly published: Set<string>;
  /** A new event for the app, stamped with `performance.now()` for the latency the sink reads back. */
  makeEvent(): PublishInput;
  /** Publishes `count` events in batches of `batchSize`; the ids go into `published`. */
  publishInBatches(count: number, batchSize?: number): Promise<void>;
  /** Starts a worker process (`pnpm worker`) on this run's queue; it is stopped at cleanup. */
  startWorker(concurrency: number): Promise<WorkerProcess>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * A fresh database, one app with one webhook to a sink in this process, the
 * client publishing to a queue prefix of the scenario's own (`<run>-<tag>`).
 */
export async function setUpDeliveryRun(
  ctx: BenchContext,
  cleanup: Cleanup,
  tag: string,
): Promise<DeliveryRun> {
  const queuePrefix = `${ctx.prefix}-${tag}`;
  const admin = ctx.connect(`${tag}-admin`);
  cleanup.defer('delete queue keys', () => deleteKeysWithPrefix(admin, `${queuePrefix}:`));

  const ledger = new DeliveryLedger();
  const sink = await startSink({ onReceive: (body, at, id) => ledger.receive(body, at, id) });
  cleanup.defer('close sink', () => sink.close());

  const database = await createBenchDatabase();
  cleanup.defer(`drop database ${database.name}`, () => database.drop());
  ctx.log(`${tag}: database ${database.name}, queue prefix ${queuePrefix}`);

  const secretKey = randomBytes(32);
  const engineRedis = ctx.connect(`${tag}-engine`);
  const engine = createEngine({
    db: database.db,
    queue: createRedisQueueBackend(engineRedis, queuePrefix),
    shared: createSharedState({ kind: 'redis', redis: engineRedis, prefix: queuePrefix }),
    keyring: createKeyring(secretKey, []),
    allowPrivateNetworks: true,
  });
  cleanup.defer('close engine queues', () => engine.close());
  const app = await createApp(database.db, CLI_ACTOR, { name: `bench ${tag}` });
  await createWebhook(engine, CLI_ACTOR, app.id, { url: `${sink.origin}/webhook` });

  const herald = new Herald({ connection: ctx.connect(`${tag}-client`), queuePrefix });
  cleanup.defer('close client', () => herald.close());

  const published = new Set<string>();
  let n = 0;
  const makeEvent = (): PublishInput => ({
    app: app.id,
    type: WEBHOOK_EVENT_TYPE,
    data: { user_id: `usr_${++n}`, ip: '203.0.113.7', method: 'password', enqueued_at_ms: performance.now() },
  });
  return {
    queuePrefix,
    database,
    engine,
    appId: app.id,
    sink,
    ledger,
    herald,
    secretKey,
    published,
    makeEvent,
    async publishInBatches(count, batchSize = 1_000) {
      for (let sent = 0; sent < count; sent += batchSize) {
        const size = Math.min(batchSize, count - sent);
        const { ids } = await herald.publishBatch(Array.from({ length: size }, makeEvent));
        for (const id of ids) published.add(id);
      }
    },
    async startWorker(concurrency) {
      const worker = await startHeraldWorker(
        { databaseUrl: database.url, redisUrl: ctx.redisUrl, queuePrefix, secretKey, concurrency },
        READY_TIMEOUT_MS,
      );
      cleanup.defer(`stop worker ${worker.pid}`, async () => {
        if ((await worker.stop(STOP_TIMEOUT_MS)) === 'killed') {
          ctx.log(`${tag}: worker ${worker.pid} ignored SIGTERM for ${STOP_TIMEOUT_MS} ms; killed`);
        }
      });
      return worker;
    },
  };
}

const COMMIT_TIMEOUT_MS = 30_000;

/**
 * Waits for the last attempts to be committed, then compares the receipts by
 * id with what was published and with the events, attempts and succeeded
 * deliveries in Postgres (one webhook, no failures: all equal).
 */
export async function settle(
  run: DeliveryRun,
  guard: () => void,
): Promise<{ lost: number; duplicated: number; ok: boolean; summary: string }> {
  const expected = run.published.size;
  const deadline = performance.now() + COMMIT_TIMEOUT_MS;
  let counts = await countDeliveryRows(run.database.db);
  while (counts.attempts < expected && performance.now() < deadline) {
    guard();
    await sleep(100);
    counts = await countDeliveryRows(run.database.db);
  }
  // Anything still in flight (a duplicate on its way) gets a moment to land.
  await sleep(500);
  counts = await countDeliveryRows(run.database.db);
  const { lost, duplicated } = run.ledger.compare(run.published);
  const ok =
    lost === 0 &&
    duplicated === 0 &&
    run.ledger.unreadable === 0 &&
    counts.events === expected &&
    counts.attempts === expected &&
    counts.succeeded === expected;
  const summary =
    `published ${expected}, received ${run.ledger.received} (lost ${lost}, duplicated ${duplicated}), ` +
    `db events ${counts.events}, attempts ${counts.attempts}, succeeded ${counts.succeeded} → ${ok ? 'ok' : 'MISMATCH'}`;
  return { lost, duplicated, ok, summary };
}
