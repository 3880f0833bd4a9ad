import { newId } from '@herald/core';
import { CLI_ACTOR, createWebhook, getWebhookActivity, setWebhookState } from '@herald/engine';
import { seedDelivery } from './delivery-fixtures.js';
import { addAppWithWebhook, signInAgent, usePanelSuite, tokenOf, type Agent } from './panel-test-harness.js';
import { EVENT_CATALOG_TYPES as EVENT_CATALOG } from '@herald/core';

const h = usePanelSuite();

const login = (): Promise<Agent> => signInAgent(h);

const setup = (appName?: string, url?: string, format?: string) =>
  addAppWithWebhook(h, { appName, url, format });

async function eventsOf(appId: string) {
  return h.t.db.selectFrom('events').selectAll().where('app_id', '=', appId).execute();
}

async function deliveriesOf(appId: string) {
  return h.t.db.selectFrom('deliveries').selectAll().where('app_id', '=', appId).execute();
}

describe('Send test event', () => {
  test('a sample of the chosen type is recorded for this webhook only, queued, audited and toasted with a link', async () => {
    const { appId, webhookId } = await setup();
    // Another webhook of the app subscribed to everything never gets the test.
    const other = await createWebhook(h.engine, CLI_ACTOR, appId, { url: 'https://other.example.com/h' });
    const agent = await login();
    const res = await agent
      .post(`/apps/${appId}/webhooks/${webhookId}/test-event`)
      .type('form')
      .send({ _csrf: await tokenOf(agent), type: 'payment.failed' })
      .expect(303)
      .expect('location', `/apps/${appId}/webhooks/${webhookId}`);
    expect(res.text).not.toContain('whsec_');

    const [event] = await eventsOf(appId);
    expect(event!.type).toBe('payment.failed');
    expect(event!.payload).toMatchObject({ test: true, reason: 'card_declined' });
    const deliveries = await deliveriesOf(appId);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ webhook_id: webhookId, event_id: event!.id, status: 'pending' });
    expect(deliveries.some((d) => d.webhook_id === other.webhook.id)).toBe(false);

    // Queued like any delivery: the job id is the delivery id, the body the standard one.
    const job = await h.engine.queues.deliveries.getJob(deliveries[0]!.id);
    expect(job?.data).toMatchObject({ deliveryId: deliveries[0]!.id, eventId: event!.id, webhookId, appId });
    expect(JSON.parse((job!.data as { body: string }).body)).toMatchObject({
      type: 'payment.failed',
      data: { test: true },
    });

    const audit = await h.t.db
      .selectFrom('audit_log')
      .select(['action', 'target_id', 'details'])
      .where('action', '=', 'webhook.test_event')
      .execute();
    expect(audit).toEqual([
      {
        action: 'webhook.test_event',
        target_id: webhookId,
        details: { eventId: event!.id, deliveryId: deliveries[0]!.id, type: 'payment.failed' },
      },
    ]);

    const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}`).expect(200);
    expect(page.text).toContain(`Test event ${event!.id} queued.`);
    expect(page.text).toContain(`href="/apps/${appId}/deliveries/${deliveries[0]!.id}"`);
    await agent.get(`/apps/${appId}/deliveries/${deliveries[0]!.id}`).expect(200);
  });

  test('the form offers every catalog type', async () => {
    const { appId, webhookId } = await setup();
    const agent = await login();
    const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}`).expect(200);
    expect(page.text).toContain(`action="/apps/${appId}/webhooks/${webhookId}/test-event"`);
    for (const type of EVENT_CATALOG) expect(page.text).toContain(`<option value="${type}">${type}</option>`);
  });

  test('a paused webhook records the test as held (released on resume)', async () => {
    const { appId, webhookId } = await setup();
    await setWebhookState(h.engine, CLI_ACTOR, appId, webhookId, 'paused');
    const agent = await login();
    await agent
      .post(`/apps/${appId}/webhooks/${webhookId}/test-event`)
      .type('form')
      .send({ _csrf: await tokenOf(agent), type: 'user.register' })
      .expect(303);
    const [delivery] = await deliveriesOf(appId);
    expect(delivery!.status).toBe('held');
    expect(await h.engine.queues.deliveries.getJob(delivery!.id)).toBeUndefined();
    const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}`).expect(200);
    expect(page.text).toContain('it is held until the webhook is enabled');
  });

  test('a type outside the catalog is refused with an error toast and nothing is published', async () => {
    const { appId, webhookId } = await setup();
    const jobsBefore = await h.engine.queues.deliveries.getJobCounts();
    const agent = await login();
    const token = await tokenOf(agent);
    for (const type of ['', 'nope', 'auth.*', 'x'.repeat(300), '<script>']) {
      await agent
        .post(`/apps/${appId}/webhooks/${webhookId}/test-event`)
        .type('form')
        .send({ _csrf: token, type })
        .expect(303);
      const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}`).expect(200);
      expect(page.text).toMatch(/toast-error[\s\S]*Event type: choose one from the catalog\./);
    }
    // Two values for one field are refused too.
    await agent
      .post(`/apps/${appId}/webhooks/${webhookId}/test-event`)
      .type('form')
      .send(`_csrf=${encodeURIComponent(token)}&type=user.register&type=payment.failed`)
      .expect(303);
    expect(await eventsOf(appId)).toEqual([]);
    expect(await deliveriesOf(appId)).toEqual([]);
    expect(await h.engine.queues.deliveries.getJobCounts()).toEqual(jobsBefore);
  });

  test('without a valid CSRF token it is refused with 403 and nothing is published', async () => {
    const { appId, webhookId } = await setup();
    const agent = await login();
    const path = `/apps/${appId}/webhooks/${webhookId}/test-event`;
    await agent.post(path).type('form').send({ type: 'user.register' }).expect(403);
    await agent.post(path).type('form').send({ _csrf: 'forged', type: 'user.register' }).expect(403);
    expect(await eventsOf(appId)).toEqual([]);
    expect(await deliveriesOf(appId)).toEqual([]);
  });

  test("another app's webhook is a 404 and nothing is published; signed out is a redirect to login", async () => {
    const mine = await setup();
    const theirs = await setup('Other', 'https://other.example.com/h');
    const agent = await login();
    await agent
      .post(`/apps/${mine.appId}/webhooks/${theirs.webhookId}/test-event`)
      .type('form')
      .send({ _csrf: await tokenOf(agent), type: 'user.register' })
      .expect(404);
    await agent
      .post(`/apps/${mine.appId}/webhooks/wh_nope/test-event`)
      .type('form')
      .send({ _csrf: await tokenOf(agent), type: 'user.register' })
      .expect(404);
    expect(await eventsOf(theirs.appId)).toEqual([]);
    await signInAgent(h)
      .then(() => undefined)
      .catch(() => undefined);
    const anonymous = (await import('supertest')).default(h.app);
    await anonymous
      .get(`/apps/${mine.appId}/webhooks/${mine.webhookId}/preview`)
      .expect(303)
      .expect('location', '/login');
  });
});

describe('Format preview', () => {
  test.each([
    ['discord', '&#34;embeds&#34;', '&#34;allowed_mentions&#34;'],
    ['telegram', '&#34;parse_mode&#34;: &#34;HTML&#34;', 'Message text (Telegram HTML, as sent)'],
    ['slack', '&#34;blocks&#34;', '&#34;type&#34;: &#34;header&#34;'],
    ['standard', '&#34;timestamp&#34;', '&#34;test&#34;: true'],
  ])("the webhook's %s format renders a sample of every catalog type, escaped", async (format, a, b) => {
    const { appId, webhookId } = await setup(
      '<script>alert("app")</script>',
      'https://hooks.example.com/h',
      format,
    );
    const agent = await login();
    const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}/preview`).expect(200);
    expect(page.text).toContain(`data-preview-format="${format}"`);
    for (const type of EVENT_CATALOG) expect(page.text).toContain(`data-preview-type="${type}"`);
    expect(page.text).toContain(a);
    expect(page.text).toContain(b);
    // The app's name is attacker-controlled: never markup on the page.
    expect(page.text).not.toContain('<script>alert');
    if (format === 'telegram') expect(page.text).toContain('&lt;b&gt;');
    if (format !== 'standard') expect(page.text).toContain('&lt;script&gt;alert');
  });

  test('another format can be previewed; an unknown one is a 400 with an explanation', async () => {
    const { appId, webhookId } = await setup();
    const agent = await login();
    const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}/preview?format=discord`).expect(200);
    expect(page.text).toContain('data-preview-format="discord"');
    const bad = await agent.get(`/apps/${appId}/webhooks/${webhookId}/preview?format=xml`).expect(400);
    expect(bad.text).toContain('Format: must be standard, discord, telegram or slack.');
    expect(bad.text).toContain('data-preview-format="standard"');
    await agent.get(`/apps/${appId}/webhooks/${webhookId}/preview?format=a&format=b`).expect(400);
  });

  test("another app's webhook is a 404", async () => {
    const mine = await setup();
    const theirs = await setup('Other', 'https://other.example.com/h');
    const agent = await login();
    await agent.get(`/apps/${mine.appId}/webhooks/${theirs.webhookId}/preview`).expect(404);
  });
});

describe('Success rate and latency chart', () => {
  const HOUR = 3_600_000;

  test('hourly buckets count attempts, success and p50/p95 durations of this webhook only', async () => {
    const { appId, webhookId } = await setup();
    const other = await createWebhook(h.engine, CLI_ACTOR, appId, { url: 'https://other.example.com/h' });
    const now = new Date();
    const thisHour = Math.floor(now.getTime() / HOUR) * HOUR;
    // Two hours ago: 4 attempts (3 ok) with durations 100..400.
    const twoHoursAgo = new Date(thisHour - 2 * HOUR + 60_000);
    for (const [i, code] of [200, 200, 500, 200].entries()) {
      await seedDelivery(h.engine, {
        appId,
        webhookId,
        status: code === 200 ? 'succeeded' : 'failed',
        createdAt: twoHoursAgo,
        attempts: [{ statusCode: code, durationMs: (i + 1) * 100 }],
      });
    }
    // This hour: one success of 50 ms.
    await seedDelivery(h.engine, {
      appId,
      webhookId,
      status: 'succeeded',
      createdAt: new Date(thisHour + 1_000),
      attempts: [{ statusCode: 200, durationMs: 50 }],
    });
    // Older than 24 h and another webhook's: left out.
    await seedDelivery(h.engine, {
      appId,
      webhookId,
      status: 'succeeded',
      createdAt: new Date(thisHour - 30 * HOUR),
      attempts: [{ statusCode: 200, durationMs: 9_999 }],
    });
    await seedDelivery(h.engine, {
      appId,
      webhookId: other.webhook.id,
      status: 'succeeded',
      createdAt: twoHoursAgo,
      attempts: [{ statusCode: 200, durationMs: 7_777 }],
    });

    const buckets = await getWebhookActivity(h.engine, appId, webhookId, { now });
    expect(buckets).toHaveLength(24);
    expect(buckets.at(-1)!.hour.getTime()).toBe(thisHour);
    expect(buckets.at(-3)).toEqual({
      hour: new Date(thisHour - 2 * HOUR),
      attempts: 4,
      succeeded: 3,
      p50Ms: 250,
      p95Ms: 385,
    });
    expect(buckets.at(-1)).toMatchObject({ attempts: 1, succeeded: 1, p50Ms: 50, p95Ms: 50 });
    expect(buckets.reduce((n, b) => n + b.attempts, 0)).toBe(5);

    const agent = await login();
    const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}`).expect(200);
    expect(page.text).toContain('<svg viewBox="0 0 720 170"');
    expect(page.text).toMatch(/data-activity-attempts>5</);
    expect(page.text).toMatch(/data-activity-success>80%</);
    expect(page.text).toContain('4 attempts, 75% ok, p50 250 ms, p95 385 ms');
    expect(page.text).not.toContain('9999');
    expect(page.text).not.toContain('7777');
  });

  test('an empty webhook shows a zero chart', async () => {
    const { appId, webhookId } = await setup();
    const agent = await login();
    const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}`).expect(200);
    expect(page.text).toContain('No attempts in the last 24 hours.');
    expect(page.text).toMatch(/data-activity-success>—</);
  });
});

describe('Replay with progress', () => {
  async function statusCounts(page: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const m of page.matchAll(/data-count="(\w+)">(\d+)</g)) counts[m[1]!] = Number(m[2]);
    return counts;
  }

  test('the replay redirects to a progress page that refreshes until nothing is pending or retrying', async () => {
    const { appId, webhookId } = await setup();
    const seeded = await Promise.all(
      [1, 2, 3].map(() => seedDelivery(h.engine, { appId, webhookId, status: 'dead' })),
    );
    const untouched = await seedDelivery(h.engine, { appId, webhookId, status: 'succeeded' });
    const agent = await login();
    const since = new Date(Date.now() - 3600_000).toISOString().slice(0, 16);
    const res = await agent
      .post(`/apps/${appId}/webhooks/${webhookId}/replay`)
      .type('form')
      .send({ _csrf: await tokenOf(agent), since, onlyDead: '1' })
      .expect(303);
    const location = res.headers['location'] as string;
    expect(location).toMatch(new RegExp(`^/apps/${appId}/webhooks/${webhookId}/replays/rpl_[0-9A-Z]{26}$`));

    let page = await agent.get(location).expect(200);
    expect(page.text).toContain('Replaying 3 deliveries.');
    expect(page.text).toContain('<meta http-equiv="refresh" content="2" />');
    expect(page.text).toContain('0 of 3 finished');
    expect(await statusCounts(page.text)).toMatchObject({ pending: 3, succeeded: 0, failed: 0, dead: 0 });

    // The workers' outcomes, as the recorder writes them.
    await h.t.db
      .updateTable('deliveries')
      .set({ status: 'succeeded' })
      .where('id', '=', seeded[0]!.deliveryId)
      .execute();
    await h.t.db
      .updateTable('deliveries')
      .set({ status: 'failed' })
      .where('id', '=', seeded[1]!.deliveryId)
      .execute();
    page = await agent.get(location).expect(200);
    expect(await statusCounts(page.text)).toMatchObject({ pending: 1, succeeded: 1, failed: 1, dead: 0 });
    expect(page.text).toContain('data-done="false"');

    await h.t.db
      .updateTable('deliveries')
      .set({ status: 'succeeded' })
      .where('id', '=', seeded[1]!.deliveryId)
      .execute();
    await h.t.db
      .updateTable('deliveries')
      .set({ status: 'dead' })
      .where('id', '=', seeded[2]!.deliveryId)
      .execute();
    page = await agent.get(location).expect(200);
    expect(await statusCounts(page.text)).toMatchObject({ pending: 0, succeeded: 2, failed: 0, dead: 1 });
    expect(page.text).toContain('Replay finished');
    expect(page.text).toContain('3 of 3 finished');
    expect(page.text).not.toContain('http-equiv="refresh"');
    // Only the replayed deliveries are counted.
    const row = await h.t.db
      .selectFrom('deliveries')
      .select('replay_id')
      .where('id', '=', untouched.deliveryId)
      .executeTakeFirstOrThrow();
    expect(row.replay_id).toBeNull();
  });

  test('a replay that queues nothing stays on the deliveries page', async () => {
    const { appId, webhookId } = await setup();
    const agent = await login();
    await agent
      .post(`/apps/${appId}/webhooks/${webhookId}/replay`)
      .type('form')
      .send({ _csrf: await tokenOf(agent), since: '2020-01-01T00:00' })
      .expect(303)
      .expect('location', `/apps/${appId}/webhooks/${webhookId}/deliveries`);
  });

  test("an unknown, malformed or another webhook's replay id is a 404", async () => {
    const { appId, webhookId } = await setup();
    const second = await createWebhook(h.engine, CLI_ACTOR, appId, { url: 'https://two.example.com/h' });
    await seedDelivery(h.engine, { appId, webhookId, status: 'dead' });
    const agent = await login();
    const res = await agent
      .post(`/apps/${appId}/webhooks/${webhookId}/replay`)
      .type('form')
      .send({ _csrf: await tokenOf(agent), since: '2020-01-01T00:00' })
      .expect(303);
    const replayId = /rpl_[0-9A-Z]{26}/.exec(res.headers['location'] as string)![0];
    await agent.get(`/apps/${appId}/webhooks/${second.webhook.id}/replays/${replayId}`).expect(404);
    await agent.get(`/apps/${appId}/webhooks/${webhookId}/replays/${newId('replay')}`).expect(404);
    await agent.get(`/apps/${appId}/webhooks/${webhookId}/replays/nope`).expect(404);
    const otherApp = await setup('Other', 'https://other.example.com/h');
    await agent.get(`/apps/${otherApp.appId}/webhooks/${webhookId}/replays/${replayId}`).expect(404);
  });
});

describe('platform-disabled webhooks', () => {
  test('a webhook Discord disabled shows the reason on its page', async () => {
    const { appId, webhookId } = await setup('Shop', 'https://discord.com/api/webhooks/1/token', 'discord');
    // As the delivery recorder leaves it after Discord's 404 (apps/worker destinations test).
    await h.t.db
      .updateTable('webhooks')
      .set({
        state: 'disabled',
        disabled_reason: 'Discord says the webhook no longer exists (404)',
        disabled_at: new Date(),
      })
      .where('id', '=', webhookId)
      .execute();
    const agent = await login();
    const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}`).expect(200);
    expect(page.text).toMatch(
      /<dt>Reason<\/dt><dd[^>]*>Discord says the webhook no longer exists \(404\)<\/dd>/,
    );
    // The Discord token in the URL stays masked.
    expect(page.text).not.toContain('/token');
  });
});
