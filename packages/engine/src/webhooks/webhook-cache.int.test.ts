import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { newId } from '@herald/core';
import { createDb } from '@herald/db';
import { createKeyring, generateSecret } from '@herald/signing';
import { createTestDatabase, sleep, type TestDatabase } from '@herald/testkit';
import { WebhookCache } from './webhook-cache.js';

describe('WebhookCache', () => {
  let t: TestDatabase;
  const keyring = createKeyring(randomBytes(32), []);
  const appId = newId('app');
  const webhookId = newId('webhook');

  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.insertInto('apps').values({ id: appId, name: 'Cache' }).execute();
    await t.db
      .insertInto('webhooks')
      .values({
        id: webhookId,
        app_id: appId,
        url: 'https://example.com/h',
        secret_ciphertext: keyring.encrypt(generateSecret()),
      })
      .execute();
  });
  afterAll(async () => {
    await t.drop();
  });

  test('when a change arrives while a load is running, later callers get a new load, not the one that read the old rows', async () => {
    const cache = new WebhookCache({ db: t.db, keyring });
    // Hold the load half-way: its webhooks query answers, its apps query waits on this lock.
    const locker = createDb({ connectionString: t.url, maxConnections: 1, applicationName: 'herald-test' });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = locker.transaction().execute(async (trx) => {
      await sql`lock table apps in access exclusive mode`.execute(trx);
      locked();
      await released;
    });
    try {
      await isLocked;
      const first = cache.forApp(appId);
      await sleep(200);
      // The webhook is paused and the change announced while that load waits.
      await sql`update webhooks set state = 'paused' where id = ${webhookId}`.execute(t.db);
      cache.invalidate(appId);
      const second = cache.forApp(appId);
      release();
      await holding;
      expect((await first).map((w) => w.state)).toEqual(['enabled']);
      expect((await second).map((w) => w.state)).toEqual(['paused']);
      // And what stays cached is the newer answer.
      expect((await cache.get(appId, webhookId))?.state).toBe('paused');
    } finally {
      release();
      await holding.catch(() => undefined);
      await locker.destroy();
    }
  });
});
