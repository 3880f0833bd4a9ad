import { newId } from '@herald/core';
import type { DeliveryStatus } from '@herald/db';
import { createTestDatabase, type TestDatabase } from '@herald/testkit';
import { writeDeliveryOutcomes, type AttemptRecord, type DeliveryOutcome } from './delivery-recorder.js';

const OPTIONS = { disableAfterMs: 5 * 86_400_000 };

function attempt(statusCode: number): AttemptRecord {
  return {
    attempt: 1,
    outcome: statusCode < 300 ? 'success' : 'http_error',
    statusCode,
    durationMs: 12.4,
    responseSnippet: 'ok',
    error: null,
    startedAt: new Date(),
  };
}

describe('writeDeliveryOutcomes', () => {
  let t: TestDatabase;
  let appId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    appId = newId('app');
    await t.db.insertInto('apps').values({ id: appId, name: 'Recorder' }).execute();
  });
  afterAll(async () => {
    await t.drop();
  });

  async function seed(options: { failingSince?: Date; status?: DeliveryStatus } = {}) {
    const webhookId = newId('webhook');
    await t.db
      .insertInto('webhooks')
      .values({
        id: webhookId,
        app_id: appId,
        url: 'https://example.com/h',
        secret_ciphertext: 'x',
        failing_since: options.failingSince ?? null,
      })
      .execute();
    const eventId = newId('event');
    await t.db
      .insertInto('events')
      .values({ id: eventId, app_id: appId, type: 'a.b', payload: '{}', created_at: new Date() })
      .execute();
    const deliveryId = newId('delivery');
    await t.db
      .insertInto('deliveries')
      .values({
        id: deliveryId,
        event_id: eventId,
        webhook_id: webhookId,
        app_id: appId,
        status: options.status ?? 'pending',
      })
      .execute();
    return { webhookId, deliveryId };
  }

  const delivery = (id: string) =>
    t.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const webhook = (id: string) =>
    t.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const attempts = (deliveryId: string) =>
    t.db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).execute();

  test('when a batch of successes is written, attempts, statuses and the webhooks’ health all change together', async () => {
    const failing = await seed({ failingSince: new Date(Date.now() - 60_000) });
    const healthy = await seed();
    const outcomes: DeliveryOutcome[] = [failing, healthy].map((s) => ({
      ...s,
      status: 'succeeded',
      attempts: 1,
      nextAttemptAt: null,
      attemptRecord: attempt(200),
      webhookHealth: 'success',
    }));
    await expect(writeDeliveryOutcomes(t.db, outcomes, OPTIONS)).resolves.toEqual({
      disabled: [],
      missing: new Set(),
    });
    for (const s of [failing, healthy]) {
      const row = await delivery(s.deliveryId);
      expect(row).toMatchObject({
        status: 'succeeded',
        attempts: 1,
        last_status_code: 200,
        last_error: null,
      });
      expect(row.last_attempt_at).toBeInstanceOf(Date);
      const [stored] = await attempts(s.deliveryId);
      expect(stored).toMatchObject({ attempt: 1, outcome: 'success', status_code: 200, duration_ms: 12 });
      expect((await webhook(s.webhookId)).failing_since).toBeNull();
    }
  });

  test('when the delivery was cancelled while its attempt was in flight, it stays cancelled but the attempt is kept', async () => {
    const s = await seed({ status: 'cancelled' });
    await writeDeliveryOutcomes(
      t.db,
      [
        {
          ...s,
          status: 'succeeded',
          attempts: 1,
          nextAttemptAt: null,
          attemptRecord: attempt(200),
          webhookHealth: 'success',
        },
      ],
      OPTIONS,
    );
    expect(await delivery(s.deliveryId)).toMatchObject({ status: 'cancelled', next_attempt_at: null });
    expect(await attempts(s.deliveryId)).toHaveLength(1);
  });

  test('when a batch holds a failure, the failing webhook gets failing_since and the others’ successes still land', async () => {
    const broken = await seed();
    const fine = await seed({ failingSince: new Date(Date.now() - 60_000) });
    const retryAt = new Date(Date.now() + 5_000);
    await writeDeliveryOutcomes(
      t.db,
      [
        {
          ...broken,
          status: 'failed',
          attempts: 1,
          nextAttemptAt: retryAt,
          attemptRecord: { ...attempt(500), error: 'endpoint answered 500' },
          webhookHealth: 'failure',
        },
        {
          ...fine,
          status: 'succeeded',
          attempts: 1,
          nextAttemptAt: null,
          attemptRecord: attempt(200),
          webhookHealth: 'success',
        },
      ],
      OPTIONS,
    );
    expect(await delivery(broken.deliveryId)).toMatchObject({
      status: 'failed',
      next_attempt_at: retryAt,
      last_status_code: 500,
      last_error: 'endpoint answered 500',
    });
    expect((await webhook(broken.webhookId)).failing_since).toBeInstanceOf(Date);
    expect((await webhook(fine.webhookId)).failing_since).toBeNull();
    expect(await delivery(fine.deliveryId)).toMatchObject({ status: 'succeeded' });
  });

  test('when an outcome carries no attempt (held), the last-attempt fields are left as they were', async () => {
    const s = await seed();
    await writeDeliveryOutcomes(t.db, [{ ...s, status: 'held', nextAttemptAt: null }], OPTIONS);
    expect(await delivery(s.deliveryId)).toMatchObject({
      status: 'held',
      attempts: 0,
      last_attempt_at: null,
      last_status_code: null,
    });
    expect(await attempts(s.deliveryId)).toEqual([]);
  });

  test.each([
    ['successes only (one statement)', 'success'],
    ['a failure (the step-by-step transaction)', 'failure'],
  ] as const)(
    'when a batch holds a delivery whose row is gone, the rest land and the gone one is reported, not an error: %s',
    async (_name, health) => {
      const kept = await seed();
      const gone = await seed();
      await t.db.deleteFrom('deliveries').where('id', '=', gone.deliveryId).execute();
      const effects = await writeDeliveryOutcomes(
        t.db,
        [kept, gone].map((s) => ({
          ...s,
          status: health === 'success' ? 'succeeded' : 'failed',
          attempts: 1,
          nextAttemptAt: health === 'success' ? null : new Date(Date.now() + 60_000),
          attemptRecord: attempt(health === 'success' ? 200 : 500),
          webhookHealth: health,
        })),
        OPTIONS,
      );
      expect([...effects.missing]).toEqual([gone.deliveryId]);
      expect(await delivery(kept.deliveryId)).toMatchObject({ attempts: 1 });
      expect(await attempts(kept.deliveryId)).toHaveLength(1);
      expect(await attempts(gone.deliveryId)).toEqual([]);
    },
  );
});
