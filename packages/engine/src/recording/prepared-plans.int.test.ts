import { sql } from 'kysely';
import { newId } from '@herald/core';
import { createDb, PREPARED_STATEMENTS_MIN_ROWS, PreparedStatementGate, type Db } from '@herald/db';
import { createTestDatabase, seedDeliveryHistory, type TestDatabase } from '@herald/testkit';
import { writeDeliveryOutcomes, type DeliveryOutcome } from '../deliveries/delivery-recorder.js';
import { writeFanout, type FanoutItem } from '../events/fanout.repository.js';

/**
 * The worker's hot writes go as named statements once events and deliveries
 * hold PREPARED_STATEMENTS_MIN_ROWS rows; Postgres then keeps one generic plan
 * for each. These tests check what that plan is at exactly that size: a scan
 * of either table there would be kept as the tables grow and make every write
 * slower the more history there is.
 */
describe('the hot writes as prepared statements', () => {
  let t: TestDatabase;
  let db: Db;
  const appId = newId('app');
  const webhookId = newId('webhook');

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.insertInto('apps').values({ id: appId, name: 'Plans' }).execute();
    await t.db
      .insertInto('webhooks')
      .values({ id: webhookId, app_id: appId, url: 'https://example.com/h', secret_ciphertext: 'x' })
      .execute();
    await seedDeliveryHistory(t.db, appId, webhookId, PREPARED_STATEMENTS_MIN_ROWS);
    const gate = new PreparedStatementGate();
    gate.openNow();
    // One connection: the statements it prepares are the ones the catalogue shows.
    db = createDb({ connectionString: t.url, maxConnections: 1, preparedStatements: gate });
  }, 60_000);
  afterAll(async () => {
    await db.destroy();
    await t.drop();
  });

  function items(count: number): FanoutItem[] {
    return Array.from({ length: count }, () => ({
      event: {
        v: 1 as const,
        id: newId('event'),
        appId,
        type: 'user.login',
        timestamp: new Date().toISOString(),
        data: { userId: 'usr_1' },
      },
      matches: [{ webhookId, deliverable: true }],
    }));
  }

  async function fanOutAndRecord(count: number): Promise<string[]> {
    const results = await writeFanout(db, items(count));
    const ids = results.flatMap((r) => (r.unknownApp ? [] : r.deliveries.map((d) => d.deliveryId)));
    const outcomes: DeliveryOutcome[] = ids.map((deliveryId) => ({
      deliveryId,
      webhookId,
      status: 'succeeded',
      attempts: 1,
      nextAttemptAt: null,
      webhookHealth: 'success',
      attemptRecord: {
        attempt: 1,
        outcome: 'success',
        statusCode: 200,
        durationMs: 3,
        responseSnippet: 'ok',
        error: null,
        startedAt: new Date(),
      },
    }));
    await writeDeliveryOutcomes(db, outcomes, { disableAfterMs: 86_400_000 });
    return ids;
  }

  /** The plan Postgres keeps for a statement the pool prepared, shown with EXPLAIN. */
  async function genericPlan(name: string): Promise<string> {
    const { rows } = await sql<{ statement: string; types: string[] }>`
      select statement, parameter_types::text[] as types from pg_prepared_statements where name = ${name}`.execute(
      db,
    );
    const found = rows[0];
    if (!found) throw new Error(`${name} is not prepared on this connection`);
    return db.connection().execute(async (conn) => {
      await sql`set plan_cache_mode = force_generic_plan`.execute(conn);
      try {
        await sql.raw(`prepare plan_probe (${found.types.join(', ')}) as ${found.statement}`).execute(conn);
        const nulls = found.types.map(() => 'null').join(', ');
        const plan = await sql
          .raw<{ 'QUERY PLAN': string }>(`explain execute plan_probe (${nulls})`)
          .execute(conn);
        return plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await sql`deallocate plan_probe`.execute(conn).catch(() => undefined);
        await sql`reset plan_cache_mode`.execute(conn);
      }
    });
  }

  it('writes the same rows as unprepared ones, whatever the batch size', async () => {
    // Six runs of each: Postgres considers a generic plan from the sixth on.
    const ids = (await Promise.all([1, 1, 5, 1, 20, 1, 1].map((n) => fanOutAndRecord(n)))).flat();
    expect(ids).toHaveLength(30);
    const rows = await t.db
      .selectFrom('deliveries')
      .select(['status', 'attempts'])
      .where('id', 'in', ids)
      .execute();
    expect(rows).toHaveLength(30);
    expect(rows.every((r) => r.status === 'succeeded' && r.attempts === 1)).toBe(true);
    const attempts = await t.db
      .selectFrom('delivery_attempts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('delivery_id', 'in', ids)
      .executeTakeFirstOrThrow();
    expect(Number(attempts.n)).toBe(30);
    const { rows: prepared } = await sql<{ name: string }>`
      select name from pg_prepared_statements where name like 'herald\\_%' order by name`.execute(db);
    expect(prepared.map((r) => r.name)).toEqual(['herald_fanout_write', 'herald_outcomes_write']);
  });

  it.each(['herald_fanout_write', 'herald_outcomes_write'])(
    'the generic plan of %s at the gate size looks rows up by index and scans neither table',
    async (name) => {
      const plan = await genericPlan(name);
      expect(plan).not.toMatch(/Seq Scan on (events|deliveries)\b/);
      expect(plan).toMatch(/Index (Only )?Scan using (events|deliveries)_\w+/);
    },
  );
});
