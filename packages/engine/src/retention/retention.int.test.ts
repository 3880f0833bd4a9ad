import { newId } from '@herald/core';
import { createTestDatabase, type TestDatabase } from '@herald/testkit';
import { pruneOldData } from './retention.js';

const DAY = 86_400_000;

describe('pruneOldData', () => {
  let t: TestDatabase;
  let appId: string;
  let webhookId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    appId = newId('app');
    webhookId = newId('webhook');
    await t.db.insertInto('apps').values({ id: appId, name: 'Retention' }).execute();
    await t.db
      .insertInto('webhooks')
      .values({ id: webhookId, app_id: appId, url: 'https://example.com/h', secret_ciphertext: 'x' })
      .execute();
  });
  afterAll(async () => {
    await t.drop();
  });

  async function seedEvent(ageDays: number): Promise<string> {
    const id = newId('event');
    await t.db
      .insertInto('events')
      .values({
        id,
        app_id: appId,
        type: 'user.register',
        payload: '{"u":1}',
        created_at: new Date(Date.now() - ageDays * DAY),
      })
      .execute();
    const deliveryId = newId('delivery');
    await t.db
      .insertInto('deliveries')
      .values({
        id: deliveryId,
        event_id: id,
        webhook_id: webhookId,
        app_id: appId,
        status: 'succeeded',
        attempts: 1,
      })
      .execute();
    await t.db
      .insertInto('delivery_attempts')
      .values({
        id: newId('attempt'),
        delivery_id: deliveryId,
        attempt: 1,
        outcome: 'success',
        status_code: 200,
        duration_ms: 3,
        started_at: new Date(),
      })
      .execute();
    return id;
  }

  test('when events are past retention they go with their deliveries and attempts; payloads past their shorter retention are dropped; recent ones stay', async () => {
    const old = await Promise.all([40, 35, 31].map(seedEvent));
    const middle = await seedEvent(10);
    const recent = await seedEvent(1);
    const result = await pruneOldData(t.db, {
      olderThan: new Date(Date.now() - 30 * DAY),
      payloadOlderThan: new Date(Date.now() - 7 * DAY),
      batchSize: 2,
    });
    expect(result).toEqual({ eventsDeleted: 3, payloadsDropped: 1, hasMore: false });
    const events = await t.db.selectFrom('events').select(['id', 'payload']).orderBy('created_at').execute();
    expect(events).toEqual([
      { id: middle, payload: null },
      { id: recent, payload: { u: 1 } },
    ]);
    const orphans = await t.db.selectFrom('deliveries').select('id').where('event_id', 'in', old).execute();
    expect(orphans).toEqual([]);
    expect((await t.db.selectFrom('delivery_attempts').select('id').execute()).length).toBe(2);
  });

  test('when the backlog is larger than one run allows, the run stops at its bound and says there is more', async () => {
    await Promise.all([50, 51, 52, 53, 54].map(seedEvent));
    const first = await pruneOldData(t.db, {
      olderThan: new Date(Date.now() - 30 * DAY),
      batchSize: 2,
      maxBatches: 2,
    });
    expect(first).toEqual({ eventsDeleted: 4, payloadsDropped: 0, hasMore: true });
    const second = await pruneOldData(t.db, {
      olderThan: new Date(Date.now() - 30 * DAY),
      batchSize: 2,
      maxBatches: 2,
    });
    expect(second).toMatchObject({ eventsDeleted: 1, hasMore: false });
  });
});
