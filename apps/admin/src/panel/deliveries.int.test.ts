import request from 'supertest';
import { CLI_ACTOR, createApp as createHeraldApp, createWebhook } from '@herald/engine';
import { QUEUE_NAMES } from '@herald/queue';
import { waitUntil } from '@herald/testkit';
import { DELIVERIES_PAGE_SIZE } from './deliveries.routes.js';
import { seedDelivery } from './delivery-fixtures.js';
import {
  ADMIN_EMAIL,
  addAppWithWebhook,
  signInAgent,
  usePanelSuite,
  tokenOf,
  type Agent,
} from './panel-test-harness.js';

const h = usePanelSuite();

const login = (): Promise<Agent> => signInAgent(h);

const setup = (): Promise<{ appId: string; webhookId: string }> => addAppWithWebhook(h);

async function statusOf(deliveryId: string): Promise<string> {
  const row = await h.t.db
    .selectFrom('deliveries')
    .select('status')
    .where('id', '=', deliveryId)
    .executeTakeFirstOrThrow();
  return row.status;
}

describe('panel deliveries', () => {
  test('when a webhook has deliveries, its page lists them newest first and filters by status', async () => {
    const { appId, webhookId } = await setup();
    const old = await seedDelivery(h.engine, {
      appId,
      webhookId,
      status: 'succeeded',
      type: 'user.register',
      createdAt: new Date(Date.now() - 60_000),
      attempts: [{ statusCode: 200 }],
    });
    const dead = await seedDelivery(h.engine, {
      appId,
      webhookId,
      status: 'dead',
      attempts: [{ statusCode: 500, error: 'HTTP 500' }],
    });
    const agent = await login();
    const all = await agent.get(`/apps/${appId}/webhooks/${webhookId}/deliveries`).expect(200);
    expect(all.text.indexOf(dead.deliveryId)).toBeGreaterThan(-1);
    expect(all.text.indexOf(dead.deliveryId)).toBeLessThan(all.text.indexOf(old.deliveryId));
    expect(all.text).toContain('user.register');
    expect(all.text).toContain('Dead letter');
    expect(all.text).toContain('Replay since');

    const deadOnly = await agent
      .get(`/apps/${appId}/webhooks/${webhookId}/deliveries?status=dead`)
      .expect(200);
    expect(deadOnly.text).toContain(dead.deliveryId);
    expect(deadOnly.text).not.toContain(old.deliveryId);
    expect(deadOnly.text).toMatch(/<option value="dead" selected>Dead letters<\/option>/);

    // The app-wide page shows the same rows with their webhook; an unknown status shows everything.
    const appWide = await agent.get(`/apps/${appId}/deliveries?status=bogus`).expect(200);
    expect(appWide.text).toContain(dead.deliveryId);
    expect(appWide.text).toContain(old.deliveryId);
    expect(appWide.text).toContain('https://hooks.example.com/h');
  });

  test('when there are more deliveries than a page holds, the cursor link shows the older ones', async () => {
    const { appId, webhookId } = await setup();
    const seeded = [];
    for (let i = 0; i < DELIVERIES_PAGE_SIZE + 2; i++) {
      seeded.push(await seedDelivery(h.engine, { appId, webhookId, status: 'succeeded' }));
    }
    const agent = await login();
    const first = await agent.get(`/apps/${appId}/deliveries`).expect(200);
    expect(first.text).toContain(seeded[seeded.length - 1]!.deliveryId);
    expect(first.text).not.toContain(seeded[0]!.deliveryId);
    const next = /href="([^"]+cursor=[^"]+)" rel="next"/.exec(first.text)?.[1];
    expect(next).toBeDefined();
    const second = await agent.get(next!.replace(/&amp;/g, '&')).expect(200);
    expect(second.text).toContain(seeded[0]!.deliveryId);
    expect(second.text).toContain(seeded[1]!.deliveryId);
    expect(second.text).not.toContain(seeded[seeded.length - 1]!.deliveryId);
    expect(second.text).not.toContain('rel="next"');
  });

  test('when a delivery is opened, every attempt shows time, status code, duration, error and an escaped snippet', async () => {
    const { appId, webhookId } = await setup();
    const { deliveryId } = await seedDelivery(h.engine, {
      appId,
      webhookId,
      attempts: [
        { statusCode: null, error: 'connect ECONNREFUSED', durationMs: 7 },
        {
          statusCode: 502,
          error: 'HTTP 502',
          snippet: '<script>alert(1)</script> bad gateway',
          durationMs: 345,
        },
      ],
    });
    const agent = await login();
    const page = await agent.get(`/apps/${appId}/deliveries/${deliveryId}`).expect(200);
    expect(page.text).toContain('connect ECONNREFUSED');
    expect(page.text).toContain('502');
    expect(page.text).toContain('345 ms');
    expect(page.text).toContain('7 ms');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; bad gateway');
    expect(page.text).not.toContain('<script>alert(1)');
    expect(page.text).toMatch(/<pre class="snippet-body">/);
  });

  test('when Retry is posted, the delivery is pending again, queued, audited and a toast says so', async () => {
    const { appId, webhookId } = await setup();
    const { deliveryId } = await seedDelivery(h.engine, {
      appId,
      webhookId,
      attempts: [{ statusCode: 500 }],
    });
    const agent = await login();
    const res = await agent
      .post(`/apps/${appId}/deliveries/${deliveryId}/retry`)
      .type('form')
      .send({ _csrf: await tokenOf(agent) })
      .expect(303);
    expect(res.headers['location']).toBe(`/apps/${appId}/deliveries/${deliveryId}`);
    expect(await statusOf(deliveryId)).toBe('pending');
    expect(await h.engine.queues.deliveries.getJob(deliveryId)).toBeDefined();
    const page = await agent.get(res.headers['location'] as string).expect(200);
    expect(page.text).toContain('Delivery queued for another attempt.');
    const audit = await h.t.db
      .selectFrom('audit_log')
      .select('actor_label')
      .where('action', '=', 'delivery.retry')
      .where('target_id', '=', deliveryId)
      .execute();
    expect(audit).toEqual([{ actor_label: ADMIN_EMAIL }]);
  });

  test('when Retry is posted while an attempt of the delivery is in flight, it is refused with a toast and nothing changes', async () => {
    const { appId, webhookId } = await setup();
    const { deliveryId } = await seedDelivery(h.engine, {
      appId,
      webhookId,
      attempts: [{ statusCode: 500 }],
    });
    // A worker that takes the delivery's job and holds it (an attempt in flight).
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await h.engine.queues.deliveries.add('deliver', { held: true }, { jobId: deliveryId });
    // (Jobs earlier tests queued are let go at once.)
    const taker = h.queue.backend.createWorker(
      QUEUE_NAMES.deliveries,
      async (job) => (job.id === deliveryId ? held : undefined),
      {
        concurrency: 5,
        lockDuration: 30_000,
      },
    );
    try {
      await waitUntil(async () => (await h.engine.queues.deliveries.getJobState(deliveryId)) === 'active', {
        what: 'the job to be taken',
      });
      const agent = await login();
      const res = await agent
        .post(`/apps/${appId}/deliveries/${deliveryId}/retry`)
        .type('form')
        .send({ _csrf: await tokenOf(agent) })
        .expect(303);
      expect(await statusOf(deliveryId)).toBe('dead');
      const page = await agent.get(res.headers['location'] as string).expect(200);
      expect(page.text).toContain(
        'Retry refused: an attempt of this delivery is in flight; retry it once that attempt has ended.',
      );
    } finally {
      release();
      await taker.close();
    }
  });

  test('when Replay since is posted, matching deliveries are queued and the toast gives the count', async () => {
    const { appId, webhookId } = await setup();
    const dead = await seedDelivery(h.engine, { appId, webhookId, status: 'dead' });
    const ok = await seedDelivery(h.engine, { appId, webhookId, status: 'succeeded' });
    const agent = await login();
    const token = await tokenOf(agent);
    const since = new Date(Date.now() - 3600_000).toISOString().slice(0, 16);
    const path = `/apps/${appId}/webhooks/${webhookId}/replay`;
    await agent.post(path).type('form').send({ _csrf: token, since, onlyDead: '1' }).expect(303);
    let page = await agent.get(`/apps/${appId}/webhooks/${webhookId}/deliveries`).expect(200);
    expect(page.text).toContain('Replaying 1 delivery.');
    expect(await statusOf(dead.deliveryId)).toBe('pending');
    expect(await statusOf(ok.deliveryId)).toBe('succeeded');

    await agent.post(path).type('form').send({ _csrf: token, since }).expect(303);
    page = await agent.get(`/apps/${appId}/webhooks/${webhookId}/deliveries`).expect(200);
    expect(page.text).toContain('Replaying 1 delivery.');
    expect(await statusOf(ok.deliveryId)).toBe('pending');
  });

  test('when Replay since has no valid time, an error toast explains it and nothing is queued', async () => {
    const { appId, webhookId } = await setup();
    const dead = await seedDelivery(h.engine, { appId, webhookId, status: 'dead' });
    const agent = await login();
    const token = await tokenOf(agent);
    const path = `/apps/${appId}/webhooks/${webhookId}/replay`;
    for (const since of ['', 'yesterday', '2026-02-31T10:00', '2999-01-01T00:00']) {
      await agent.post(path).type('form').send({ _csrf: token, since }).expect(303);
      const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}/deliveries`).expect(200);
      expect(page.text).toMatch(/toast-error[\s\S]*Since: /);
    }
    expect(await statusOf(dead.deliveryId)).toBe('dead');
  });

  test('when Retry or Replay is posted without the CSRF token, it is refused with 403 and nothing changes', async () => {
    const { appId, webhookId } = await setup();
    const { deliveryId } = await seedDelivery(h.engine, { appId, webhookId, status: 'dead' });
    const agent = await login();
    await agent.post(`/apps/${appId}/deliveries/${deliveryId}/retry`).type('form').send({}).expect(403);
    await agent
      .post(`/apps/${appId}/deliveries/${deliveryId}/retry`)
      .type('form')
      .send({ _csrf: 'forged' })
      .expect(403);
    await agent
      .post(`/apps/${appId}/webhooks/${webhookId}/replay`)
      .type('form')
      .send({ since: '2020-01-01T00:00' })
      .expect(403);
    expect(await statusOf(deliveryId)).toBe('dead');
  });

  test("when another app's delivery or webhook id is used, the answer is 404 and nothing changes", async () => {
    const mine = await setup();
    const otherAppId = (await createHeraldApp(h.t.db, CLI_ACTOR, { name: 'Other' })).id;
    const otherWebhookId = (
      await createWebhook(h.engine, CLI_ACTOR, otherAppId, { url: 'https://other.example.com/h' })
    ).webhook.id;
    const theirs = await seedDelivery(h.engine, {
      appId: otherAppId,
      webhookId: otherWebhookId,
      status: 'dead',
    });
    const agent = await login();
    const token = await tokenOf(agent);
    await agent.get(`/apps/${mine.appId}/deliveries/${theirs.deliveryId}`).expect(404);
    await agent.get(`/apps/${mine.appId}/webhooks/${otherWebhookId}/deliveries`).expect(404);
    await agent.get(`/apps/${mine.appId}/deliveries/dlv_nope`).expect(404);
    await agent.get(`/apps/app_00000000000000000000000000/deliveries`).expect(404);
    await agent
      .post(`/apps/${mine.appId}/deliveries/${theirs.deliveryId}/retry`)
      .type('form')
      .send({ _csrf: token })
      .expect(404);
    await agent
      .post(`/apps/${mine.appId}/webhooks/${otherWebhookId}/replay`)
      .type('form')
      .send({ _csrf: token, since: '2020-01-01T00:00' })
      .expect(404);
    expect(await statusOf(theirs.deliveryId)).toBe('dead');
    // Their rows never show on this app's pages.
    const list = await agent.get(`/apps/${mine.appId}/deliveries`).expect(200);
    expect(list.text).not.toContain(theirs.deliveryId);
  });

  test('when nobody is signed in, the delivery pages redirect to /login', async () => {
    const { appId, webhookId } = await setup();
    const { deliveryId } = await seedDelivery(h.engine, { appId, webhookId });
    for (const path of [
      `/apps/${appId}/deliveries`,
      `/apps/${appId}/webhooks/${webhookId}/deliveries`,
      `/apps/${appId}/deliveries/${deliveryId}`,
    ]) {
      await request(h.app).get(path).expect(303).expect('location', '/login');
    }
  });
});
