import { sql } from 'kysely';
import { newId } from '@herald/core';
import { createTestDatabase, type TestDatabase } from '@herald/testkit';
import { activityQuery, getWebhookActivity } from './webhook-activity.js';

const HOUR = 3_600_000;
const WEBHOOKS = 20;
const DELIVERIES = 100_000;
const TARGET = 5_000;

describe('webhook activity query', () => {
  let t: TestDatabase;
  const appId = newId('app');
  const webhookIds = Array.from({ length: WEBHOOKS }, () => newId('webhook'));

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.insertInto('apps').values({ id: appId, name: 'Busy' }).execute();
    await t.db
      .insertInto('webhooks')
      .values(
        webhookIds.map((id) => ({ id, app_id: appId, url: 'https://example.com/h', secret_ciphertext: 'x' })),
      )
      .execute();
    // The charted webhook (index 0): weeks of history, 48 attempts in the last day. The app's
    // other 19 webhooks: 95,000 attempts over the last 30 days (a retention window's worth).
    await sql`
      create temporary table seed as
      select g,
             case when g <= ${TARGET} then ${webhookIds[0]!}
                  else (${webhookIds}::text[])[2 + g % ${WEBHOOKS - 1}] end as webhook_id,
             case when g <= 48 then now() - g * interval '29 minutes'
                  when g <= ${TARGET} then now() - interval '2 days' - g * interval '5 minutes'
                  else now() - (g % 720) * interval '1 hour' end as at
      from generate_series(1, ${DELIVERIES}) g`.execute(t.db);
    await sql`
      insert into events (id, app_id, type, payload, created_at)
      select 'msg_x' || g, ${appId}, 'user.register', '{}'::jsonb, at from seed`.execute(t.db);
    await sql`
      insert into deliveries (id, event_id, webhook_id, app_id, status, attempts, last_attempt_at, created_at)
      select 'dlv_x' || g, 'msg_x' || g, webhook_id, ${appId}, 'succeeded', 1, at, at from seed`.execute(
      t.db,
    );
    await sql`
      insert into delivery_attempts (id, delivery_id, attempt, outcome, status_code, duration_ms, started_at)
      select 'att_x' || g, 'dlv_x' || g, 1, case when g % 10 = 0 then 'http_error' else 'success' end,
             case when g % 10 = 0 then 500 else 200 end, g % 300, at from seed`.execute(t.db);
    await sql`analyze deliveries`.execute(t.db);
    await sql`analyze delivery_attempts`.execute(t.db);
  });
  afterAll(async () => {
    await t.drop();
  });

  test("it enters through the webhook's attempted-deliveries index, never scanning every attempt", async () => {
    const since = new Date(Date.now() - 24 * HOUR);
    const { rows } = await sql<{
      'QUERY PLAN': string;
    }>`explain ${activityQuery(appId, webhookIds[0]!, since)}`.execute(t.db);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('deliveries_webhook_attempted_idx');
    expect(plan).toContain('delivery_attempts_delivery_idx');
    expect(plan).not.toMatch(/Seq Scan/);
  });

  test("the buckets add up to that webhook's attempts of the last 24 hours", async () => {
    const buckets = await getWebhookActivity({ db: t.db }, appId, webhookIds[0]!);
    expect(buckets).toHaveLength(24);
    const expected = await t.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('webhook_id', '=', webhookIds[0]!)
      .where('last_attempt_at', '>=', new Date(buckets[0]!.hour))
      .executeTakeFirstOrThrow();
    const total = buckets.reduce((n, b) => n + b.attempts, 0);
    expect(total).toBe(Number(expected.n));
    // 48 attempts 29 minutes apart: those within the 24 buckets (the oldest bucket starts on an hour).
    expect(total).toBeGreaterThanOrEqual(47);
    expect(total).toBeLessThanOrEqual(48);
    expect(buckets.reduce((n, b) => n + b.succeeded, 0)).toBe(total - 4);
    for (const b of buckets.filter((x) => x.attempts > 0)) {
      expect(b.succeeded).toBeLessThanOrEqual(b.attempts);
      expect(b.p50Ms!).toBeLessThanOrEqual(b.p95Ms!);
    }
  });
});
