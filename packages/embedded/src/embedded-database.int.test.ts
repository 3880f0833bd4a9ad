import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { assertSchemaCurrent, pendingMigrations } from '@herald/db';
import { pruneOldData, writeDeliveryOutcomes, writeFanout } from '@herald/engine';
import type { EventJobData } from '@herald/queue';
import { DataDirLockedError, LOCK_FILE_NAME, openEmbeddedDatabase, type EmbeddedDatabase } from './index.js';
import { makeTempDir } from './testing/temp-dir.js';
import { startProcess } from '@herald/testkit';

function pgCode(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Resolves the returned promise's `open` when called; for holding a transaction open. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

describe('the embedded database (PGlite)', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let dataDir: string;
  let embedded: EmbeddedDatabase;

  beforeAll(async () => {
    temp = await makeTempDir();
    dataDir = path.join(temp.path, 'data');
    embedded = await openEmbeddedDatabase({ dataDir });
    await embedded.migrate();
  });
  afterAll(async () => {
    await embedded?.close();
    await temp?.remove();
  });

  async function seedApp(): Promise<string> {
    const id = `app_${Math.random().toString(36).slice(2, 10)}`;
    await embedded.db.insertInto('apps').values({ id, name: 'Acme' }).execute();
    return id;
  }

  test("when Herald's migrations have run on PGlite, nothing is pending and the schema check passes", async () => {
    expect(await pendingMigrations(embedded.db)).toEqual([]);
    await expect(assertSchemaCurrent(embedded.db)).resolves.toBeUndefined();
    const again = await embedded.migrate();
    expect(again.applied).toEqual([]);
    expect(again.queueSchemaVersion).toBeGreaterThan(0);
  });

  test("Herald's tables live in public and BullMQ's in its own schema, with no name shared", async () => {
    const tables = await sql<{ table_schema: string; table_name: string }>`
      select table_schema, table_name from information_schema.tables
      where table_schema in ('public', 'bullmq')`.execute(embedded.db);
    const inSchema = (schema: string) =>
      new Set(tables.rows.filter((t) => t.table_schema === schema).map((t) => t.table_name));
    const herald = inSchema('public');
    const bullmq = inSchema('bullmq');
    expect(herald).toContain('deliveries');
    expect(herald).toContain('webhooks');
    expect(bullmq).toContain('job');
    expect(bullmq).toContain('event');
    expect([...herald].filter((name) => bullmq.has(name))).toEqual([]);
    // Each side sees its own tables unqualified.
    await expect(embedded.pool.query('select count(*) as n from job')).resolves.toMatchObject({
      rows: [{ n: '0' }],
    });
    const error = await caught(sql`select count(*) from job`.execute(embedded.db));
    expect(pgCode(error)).toBe('42P01');
  });

  test('constraints, int8 and timestamps behave as with node-postgres', async () => {
    const appId = await seedApp();
    const duplicate = await caught(
      embedded.db.insertInto('apps').values({ id: appId, name: 'Again' }).execute(),
    );
    expect(pgCode(duplicate)).toBe('23505');
    const { count } = await embedded.db
      .selectFrom('apps')
      .where('id', '=', appId)
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow();
    expect(count).toBe('1');
    const app = await embedded.db
      .selectFrom('apps')
      .selectAll()
      .where('id', '=', appId)
      .executeTakeFirstOrThrow();
    expect(app.created_at).toBeInstanceOf(Date);
    const updated = await embedded.db
      .updateTable('apps')
      .set({ name: 'Renamed' })
      .where('id', '=', appId)
      .execute();
    expect(updated[0]?.numUpdatedRows).toBe(1n);
  });

  test("Herald's engine SQL runs unchanged: fan-out (idempotent), delivery outcomes, retention pruning", async () => {
    const appId = await seedApp();
    const webhookId = `wh_${appId.slice(4)}`;
    await embedded.db
      .insertInto('webhooks')
      .values({ id: webhookId, app_id: appId, url: 'https://example.com/hook', secret_ciphertext: 'v1.k.x' })
      .execute();
    const event: EventJobData = {
      v: 1,
      id: `msg_${appId.slice(4)}`,
      appId,
      type: 'auth.login.success',
      timestamp: new Date(Date.now() - 3_600_000).toISOString(),
      data: { user: 'u1', nested: { ok: true } },
    };
    const item = { event, matches: [{ webhookId, deliverable: true }] };
    const [first] = await writeFanout(embedded.db, [item]);
    // A re-run of the event job: the same event, its items built anew.
    const [again] = await writeFanout(embedded.db, [{ ...item }]);
    if (!first || first.unknownApp || !again || again.unknownApp) throw new Error('the app should be known');
    expect(first.deliveries).toHaveLength(1);
    expect(again.deliveries).toEqual(first.deliveries.map((d) => ({ ...d, created: false })));
    expect(first.deliveries[0]?.created).toBe(true);
    const delivery = first.deliveries[0];
    if (!delivery) throw new Error('no delivery');
    const stored = await embedded.db
      .selectFrom('events')
      .select('payload')
      .where('id', '=', event.id)
      .executeTakeFirst();
    expect(stored?.payload).toEqual(event.data);

    await writeDeliveryOutcomes(
      embedded.db,
      [
        {
          deliveryId: delivery.deliveryId,
          webhookId,
          status: 'succeeded',
          attempts: 1,
          nextAttemptAt: null,
          webhookHealth: 'success',
          attemptRecord: {
            attempt: 1,
            outcome: 'success',
            statusCode: 204,
            durationMs: 12.4,
            responseSnippet: null,
            error: null,
            startedAt: new Date(),
          },
        },
      ],
      { disableAfterMs: 86_400_000 },
    );
    const recorded = await embedded.db
      .selectFrom('deliveries')
      .innerJoin('delivery_attempts', 'delivery_attempts.delivery_id', 'deliveries.id')
      .select([
        'deliveries.status',
        'deliveries.attempts',
        'delivery_attempts.status_code',
        'delivery_attempts.duration_ms',
      ])
      .where('deliveries.id', '=', delivery.deliveryId)
      .execute();
    expect(recorded).toEqual([{ status: 'succeeded', attempts: 1, status_code: 204, duration_ms: 12 }]);

    const pruned = await pruneOldData(embedded.db, { olderThan: new Date(Date.now() - 60_000) });
    expect(pruned.eventsDeleted).toBeGreaterThanOrEqual(1);
    expect(
      await embedded.db.selectFrom('deliveries').where('id', '=', delivery.deliveryId).selectAll().execute(),
    ).toEqual([]);
  });

  test('a failed transaction rolls back everything it wrote', async () => {
    const appId = `app_${Math.random().toString(36).slice(2, 10)}`;
    const error = await caught(
      embedded.db.transaction().execute(async (trx) => {
        await trx.insertInto('apps').values({ id: appId, name: 'Doomed' }).execute();
        await trx.insertInto('apps').values({ id: appId, name: 'Duplicate' }).execute();
      }),
    );
    expect(pgCode(error)).toBe('23505');
    expect(await embedded.db.selectFrom('apps').where('id', '=', appId).selectAll().execute()).toEqual([]);
    // The session is usable again afterwards.
    await expect(seedApp()).resolves.toMatch(/^app_/);
  });

  test('while a transaction is open, other statements wait for it instead of landing inside it', async () => {
    const appId = `app_${Math.random().toString(36).slice(2, 10)}`;
    const inside = gate();
    const release = gate();
    const order: string[] = [];
    const transaction = embedded.db.transaction().execute(async (trx) => {
      await trx.insertInto('apps').values({ id: appId, name: 'Pending' }).execute();
      inside.open();
      await release.wait;
      order.push('commit');
    });
    await inside.wait;
    const outside = embedded.pool
      .query<{ n: string }>('select count(*) as n from public.apps where id = $1', [appId])
      .then((result) => {
        order.push('outside');
        return result.rows[0]?.n;
      });
    const kyselyOutside = embedded.db
      .selectFrom('apps')
      .where('id', '=', appId)
      .select('name')
      .execute()
      .then((rows) => {
        order.push('kysely');
        return rows;
      });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(order).toEqual([]);
    release.open();
    await transaction;
    expect(await outside).toBe('1');
    expect(await kyselyOutside).toEqual([{ name: 'Pending' }]);
    expect(order[0]).toBe('commit');
  });

  test('a pool client released inside a transaction has it rolled back, and the session goes on', async () => {
    const appId = `app_${Math.random().toString(36).slice(2, 10)}`;
    const client = await embedded.pool.connect();
    await client.query('begin');
    await client.query("insert into public.apps (id, name) values ($1, 'Abandoned')", [appId]);
    client.release();
    expect(await embedded.db.selectFrom('apps').where('id', '=', appId).selectAll().execute()).toEqual([]);
    await expect(client.query('select 1')).rejects.toThrow(/released/);
  });

  test('after close the lock file is gone, and a reopen finds the data', async () => {
    await embedded.db.insertInto('apps').values({ id: 'app_kept', name: 'Kept' }).execute();
    await embedded.close();
    await expect(readFile(path.join(dataDir, LOCK_FILE_NAME))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(embedded.db.selectFrom('apps').selectAll().execute()).rejects.toThrow(/closed/);

    embedded = await openEmbeddedDatabase({ dataDir });
    expect(await embedded.migrate()).toMatchObject({ applied: [] });
    const rows = await embedded.db.selectFrom('apps').select('name').where('id', '=', 'app_kept').execute();
    expect(rows).toEqual([{ name: 'Kept' }]);
  });

  test('another process holding the data directory refuses a second open; once it is SIGKILLed, its lock is taken over and its commits are there', async () => {
    await embedded.close();
    const holder = startProcess('packages/embedded/src/testing/hold-open.ts', {
      args: [dataDir, 'app_crashed'],
    });
    try {
      await holder.waitFor(/ready/, 30_000);
      const error = await caught(openEmbeddedDatabase({ dataDir }));
      expect(error).toBeInstanceOf(DataDirLockedError);
      expect((error as Error).message).toContain(
        `another Herald process (pid ${holder.pid}) is using ${dataDir}`,
      );
    } finally {
      await holder.stop('SIGKILL');
    }
    embedded = await openEmbeddedDatabase({ dataDir });
    expect((await readFile(path.join(dataDir, LOCK_FILE_NAME), 'utf8')).trim()).toBe(String(process.pid));
    const rows = await embedded.db
      .selectFrom('apps')
      .select('id')
      .where('id', 'in', ['app_kept', 'app_crashed'])
      .execute();
    expect(rows.map((r) => r.id).sort()).toEqual(['app_crashed', 'app_kept']);
  });
});
