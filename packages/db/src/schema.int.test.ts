import { sql } from 'kysely';
import { createTestDatabase, runProcess, type TestDatabase } from '@herald/testkit';
import { dropDatabase, uniqueName, TEST_POSTGRES_URL } from '@herald/testkit';
import {
  createDb,
  migrateToLatest,
  pendingMigrations,
  assertSchemaCurrent,
  SchemaBehindError,
  withDatabaseName,
} from './index.js';

function pgCode(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

async function expectPgError(promise: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(pgCode(caught)).toBe(code);
}

describe('schema v1', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });

  async function seed() {
    const suffix = Math.random().toString(36).slice(2, 8);
    const appId = `app_${suffix}`;
    await t.db.insertInto('apps').values({ id: appId, name: 'Acme' }).execute();
    const webhookId = `wh_${suffix}`;
    await t.db
      .insertInto('webhooks')
      .values({ id: webhookId, app_id: appId, url: 'https://example.com/hook', secret_ciphertext: 'v1.k.x' })
      .execute();
    const eventId = `msg_${suffix}`;
    await t.db
      .insertInto('events')
      .values({
        id: eventId,
        app_id: appId,
        type: 'auth.login.success',
        payload: '{"user":"u1"}',
        created_at: new Date(),
      })
      .execute();
    return { appId, webhookId, eventId };
  }

  test('when migrations have run, nothing is pending and the schema check passes', async () => {
    expect(await pendingMigrations(t.db)).toEqual([]);
    await expect(assertSchemaCurrent(t.db)).resolves.toBeUndefined();
    expect(await migrateToLatest(t.db)).toEqual([]);
  });

  test('when a delivery is recorded for real rows, it gets the defaults', async () => {
    const { appId, webhookId, eventId } = await seed();
    await t.db
      .insertInto('deliveries')
      .values({ id: 'dlv_1', event_id: eventId, webhook_id: webhookId, app_id: appId, status: 'pending' })
      .execute();
    const row = await t.db
      .selectFrom('deliveries')
      .selectAll()
      .where('id', '=', 'dlv_1')
      .executeTakeFirstOrThrow();
    expect(row.attempts).toBe(0);
    expect(row.created_at).toBeInstanceOf(Date);
    const event = await t.db
      .selectFrom('events')
      .select('payload')
      .where('id', '=', eventId)
      .executeTakeFirstOrThrow();
    expect(event.payload).toEqual({ user: 'u1' });
  });

  test('when a delivery points at a missing webhook, the insert is refused', async () => {
    const { appId, eventId } = await seed();
    await expectPgError(
      t.db
        .insertInto('deliveries')
        .values({
          id: 'dlv_missing',
          event_id: eventId,
          webhook_id: 'wh_nope',
          app_id: appId,
          status: 'pending',
        })
        .execute(),
      '23503',
    );
  });

  test('when a delivery status is outside the set, the insert is refused', async () => {
    const { appId, webhookId, eventId } = await seed();
    await expectPgError(
      sql`insert into deliveries (id, event_id, webhook_id, app_id, status)
          values ('dlv_bad', ${eventId}, ${webhookId}, ${appId}, 'lost')`.execute(t.db),
      '23514',
    );
  });

  test('when fan-out records the same event and webhook twice, the second is refused', async () => {
    const { appId, webhookId, eventId } = await seed();
    const row = { event_id: eventId, webhook_id: webhookId, app_id: appId, status: 'pending' as const };
    await t.db
      .insertInto('deliveries')
      .values({ id: `dlv_a${eventId}`, ...row })
      .execute();
    await expectPgError(
      t.db
        .insertInto('deliveries')
        .values({ id: `dlv_b${eventId}`, ...row })
        .execute(),
      '23505',
    );
  });

  test('when a webhook has a bad format, state or rate limit, or is disabled without a reason, it is refused', async () => {
    const { appId } = await seed();
    const base = { app_id: appId, url: 'https://example.com', secret_ciphertext: 'x' };
    await expectPgError(
      sql`insert into webhooks (id, app_id, url, secret_ciphertext, format) values ('wh_f', ${appId}, 'https://e.com', 'x', 'xml')`.execute(
        t.db,
      ),
      '23514',
    );
    await expectPgError(
      t.db
        .insertInto('webhooks')
        .values({ id: 'wh_r', ...base, rate_limit_per_second: 0 })
        .execute(),
      '23514',
    );
    await expectPgError(
      t.db
        .insertInto('webhooks')
        .values({ id: 'wh_d', ...base, state: 'disabled' })
        .execute(),
      '23514',
    );
    await expectPgError(
      t.db
        .insertInto('webhooks')
        .values({ id: 'wh_p', ...base, previous_secret_ciphertext: 'old' })
        .execute(),
      '23514',
    );
    await expectPgError(
      t.db
        .insertInto('webhooks')
        .values({ id: 'wh_u', ...base, url: 'x'.repeat(2049) })
        .execute(),
      '23514',
    );
  });

  test('when an event type breaks the naming rule, it is refused', async () => {
    const { appId } = await seed();
    await expectPgError(
      t.db
        .insertInto('events')
        .values({ id: 'msg_bad', app_id: appId, type: 'has space', payload: '{}', created_at: new Date() })
        .execute(),
      '23514',
    );
  });

  test('when two admins share an email in different case, the second is refused', async () => {
    await t.db
      .insertInto('admin_users')
      .values({ id: 'adm_1', email: 'Ops@Example.com', password_hash: 'h' })
      .execute();
    await expectPgError(
      t.db
        .insertInto('admin_users')
        .values({ id: 'adm_2', email: 'ops@example.com', password_hash: 'h' })
        .execute(),
      '23505',
    );
  });

  test('when an event is pruned, its deliveries and attempts go with it', async () => {
    const { appId, webhookId, eventId } = await seed();
    const deliveryId = `dlv_p${eventId}`;
    await t.db
      .insertInto('deliveries')
      .values({
        id: deliveryId,
        event_id: eventId,
        webhook_id: webhookId,
        app_id: appId,
        status: 'succeeded',
      })
      .execute();
    await t.db
      .insertInto('delivery_attempts')
      .values({
        id: `att_${eventId}`,
        delivery_id: deliveryId,
        attempt: 1,
        outcome: 'success',
        status_code: 200,
        duration_ms: 12,
        started_at: new Date(),
      })
      .execute();
    await t.db.deleteFrom('events').where('id', '=', eventId).execute();
    const left = await t.db
      .selectFrom('delivery_attempts')
      .select('id')
      .where('delivery_id', '=', deliveryId)
      .execute();
    expect(left).toEqual([]);
  });

  test('when an audit action is not dotted lower case, it is refused', async () => {
    await expectPgError(
      t.db
        .insertInto('audit_log')
        .values({ id: 'aud_1', actor_type: 'admin', action: 'DROP TABLE' })
        .execute(),
      '23514',
    );
    await t.db
      .insertInto('audit_log')
      .values({ id: 'aud_2', actor_type: 'admin', action: 'webhook.create' })
      .execute();
  });
});

describe('pnpm migrate', () => {
  test('when run twice in a row and then by two processes at once on a new database, every run succeeds', async () => {
    const name = uniqueName('herald_mig');
    const env = { DATABASE_URL: withDatabaseName(TEST_POSTGRES_URL, name), HERALD_LOG_LEVEL: 'warn' };
    try {
      const concurrent = await Promise.all([
        runProcess('apps/cli/src/migrate.ts', { env }),
        runProcess('apps/cli/src/migrate.ts', { env }),
      ]);
      for (const r of concurrent) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      const again = await runProcess('apps/cli/src/migrate.ts', { env });
      expect(again.code).toBe(0);
      const db = createDb({ connectionString: env.DATABASE_URL, maxConnections: 1 });
      try {
        expect(await pendingMigrations(db)).toEqual([]);
        const tables = await sql<{
          n: number;
        }>`select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name = 'deliveries'`.execute(
          db,
        );
        expect(tables.rows[0]!.n).toBe(1);
      } finally {
        await db.destroy();
      }
    } finally {
      await dropDatabase(name);
    }
  });

  test('when the configuration is bad, it exits 1 naming the variable and creates nothing', async () => {
    const r = await runProcess('apps/cli/src/migrate.ts', { env: { DATABASE_URL: 'nonsense' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('DATABASE_URL');
  });

  test('when the database does not exist, the schema check says to run pnpm migrate', async () => {
    const db = createDb({
      connectionString: withDatabaseName(TEST_POSTGRES_URL, uniqueName('herald_absent')),
      maxConnections: 1,
    });
    try {
      await expect(assertSchemaCurrent(db)).rejects.toThrow(SchemaBehindError);
      await expect(assertSchemaCurrent(db)).rejects.toThrow(/run pnpm migrate/);
    } finally {
      await db.destroy();
    }
  });
});
