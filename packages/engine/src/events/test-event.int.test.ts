import { randomBytes } from 'node:crypto';
import { NotFoundError, ValidationError } from '@herald/core';
import { createKeyring } from '@herald/signing';
import { createTestDatabase, createTestQueue, type TestDatabase, type TestQueue } from '@herald/testkit';
import { CLI_ACTOR } from '../audit/audit.js';
import { createApp } from '../apps/apps.service.js';
import { createEngine, type Engine } from '../engine.js';
import { createSharedState } from '../shared/create-shared-state.js';
import { createWebhook, deleteWebhook } from '../webhooks/webhooks.service.js';
import { sendTestEvent } from './test-event.js';

describe('sendTestEvent', () => {
  let t: TestDatabase;
  let engine: Engine;
  let queue: TestQueue;
  let appId: string;
  let webhookId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    queue = createTestQueue(t.url);
    engine = createEngine({
      db: t.db,
      queue: queue.backend,
      shared: createSharedState(queue),
      keyring: createKeyring(randomBytes(32), []),
      allowPrivateNetworks: true,
    });
    appId = (await createApp(t.db, CLI_ACTOR, { name: 'Test events' })).id;
    webhookId = (
      await createWebhook(engine, CLI_ACTOR, appId, { url: 'http://127.0.0.1:9/h', events: ['x.*'] })
    ).webhook.id;
  });
  afterAll(async () => {
    await engine.close();
    await queue.close();
    await t.drop();
  });

  test('records the event with "test": true and queues one delivery, whatever the filter', async () => {
    const sent = await sendTestEvent(engine, CLI_ACTOR, appId, webhookId, {
      type: 'user.register',
      data: { user: 'u' },
    });
    expect(sent.status).toBe('pending');
    const event = await t.db
      .selectFrom('events')
      .selectAll()
      .where('id', '=', sent.eventId)
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ type: 'user.register', payload: { user: 'u', test: true } });
    const job = await engine.queues.deliveries.getJob(sent.deliveryId);
    expect(job?.data).toMatchObject({ deliveryId: sent.deliveryId, eventId: sent.eventId, attemptOffset: 0 });
  });

  test.each([
    ['an invalid type', { type: 'has space', data: {} }, 'type'],
    ['an empty type', { type: '', data: {} }, 'type'],
    ['data with a NUL', { type: 'a.b', data: { s: 'x\u0000' } }, 'data'],
  ])(
    '%s is refused with a ValidationError naming the field, and nothing is written',
    async (_what, input, field) => {
      const before = await t.db.selectFrom('events').select('id').execute();
      const error = await sendTestEvent(engine, CLI_ACTOR, appId, webhookId, input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((i) => i.field)).toEqual([field]);
      expect(await t.db.selectFrom('events').select('id').execute()).toEqual(before);
    },
  );

  test("another app's or a deleted webhook is not found", async () => {
    const other = (await createApp(t.db, CLI_ACTOR, { name: 'Other' })).id;
    await expect(
      sendTestEvent(engine, CLI_ACTOR, other, webhookId, { type: 'a.b', data: {} }),
    ).rejects.toBeInstanceOf(NotFoundError);
    const gone = (await createWebhook(engine, CLI_ACTOR, appId, { url: 'http://127.0.0.1:9/g' })).webhook.id;
    await deleteWebhook(engine, CLI_ACTOR, appId, gone);
    await expect(
      sendTestEvent(engine, CLI_ACTOR, appId, gone, { type: 'a.b', data: {} }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
