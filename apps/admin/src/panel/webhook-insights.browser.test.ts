import type { Page } from 'playwright-core';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { CLI_ACTOR, createApp as createHeraldApp, createWebhook } from '@herald/engine';
import {
  TEST_REDIS_URL,
  startProcess,
  startReceiver,
  waitUntil,
  type Receiver,
  type RunningProcess,
} from '@herald/testkit';
import { DESKTOP, MOBILE, startBrowserHarness, type BrowserHarness } from './panel-browser-harness.js';
import { seedDelivery } from './delivery-fixtures.js';
import type { PanelHarness } from './panel-test-harness.js';

// The panel in Chromium, a real worker process on the same database and queue
// prefix, and a loopback receiver: "Send test event" end to end.
let b: BrowserHarness;
let h: PanelHarness;
let worker: RunningProcess;
let receiver: Receiver;

beforeAll(async () => {
  b = await startBrowserHarness();
  h = b.h;
  receiver = await startReceiver();
  worker = startProcess('apps/worker/src/main.ts', {
    env: {
      DATABASE_URL: h.t.url,
      REDIS_URL: TEST_REDIS_URL,
      ...h.queue.env,
      HERALD_SECRET_KEY: h.secretKey.toString('base64'),
      HERALD_WORKER_PORT: '0',
      HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
      HERALD_RETRY_SCHEDULE: '1s,1s,1s',
    },
  });
  await worker.waitFor(/worker started/);
});

afterAll(async () => {
  await worker?.stop('SIGTERM');
  await receiver?.close();
  await b?.close();
});

beforeEach(async () => {
  await b.reset();
  receiver.requests.length = 0;
  receiver.setHandler((_req, res) => void res.writeHead(204).end());
});

afterEach(async () => {
  await b.closeContext();
  expect(b.problems).toEqual([]);
});

async function seed(format?: 'discord') {
  const appId = (await createHeraldApp(h.t.db, CLI_ACTOR, { name: 'AuthVaultix' })).id;
  const created = await createWebhook(h.engine, CLI_ACTOR, appId, {
    url: `${receiver.url}/hook`,
    description: 'Alerts',
    ...(format ? { format } : {}),
  });
  return { appId, webhookId: created.webhook.id, secret: created.secret };
}

async function openWebhook(p: Page, appId: string, webhookId: string): Promise<void> {
  await b.signIn(p);
  await p.goto(`${b.baseUrl}/apps/${appId}/webhooks/${webhookId}`);
}

describe('webhook tools in Chromium', () => {
  test('Send test event: the toast names the event, the receiver gets it signed, the delivery page shows it succeeded', async () => {
    const { appId, webhookId, secret } = await seed();
    const p = await b.open(DESKTOP);
    await openWebhook(p, appId, webhookId);
    await b.shot(p, 'webhook-tools-detail');

    await p.selectOption('#test-type', 'payment.success');
    await Promise.all([
      p.waitForURL(`${b.baseUrl}/apps/${appId}/webhooks/${webhookId}`),
      p.getByRole('button', { name: 'Send test event' }).click(),
    ]);
    const toast = p.locator('[data-toast]');
    await toast.waitFor();
    const message = await toast.innerText();
    const eventId = /msg_[0-9A-Z]{26}/.exec(message)?.[0];
    expect(message).toContain(`Test event ${eventId} queued.`);
    await b.shot(p, 'webhook-tools-test-event-toast');

    const [delivered] = await receiver.waitForRequests(1, 20_000);
    expect(delivered!.path).toBe('/hook');
    expect(delivered!.headers['webhook-id']).toBe(eventId);
    const payload = new StandardWebhook(secret).verify(delivered!.body, delivered!.headers) as {
      type: string;
      data: Record<string, unknown>;
    };
    expect(payload.type).toBe('payment.success');
    expect(payload.data).toMatchObject({ test: true, currency: 'USD' });

    await Promise.all([
      p.waitForURL(/\/deliveries\/dlv_/),
      toast.getByRole('link', { name: 'View delivery' }).click(),
    ]);
    await waitUntil(
      async () => {
        await p.reload();
        return (await p.locator('body').innerText()).includes('Succeeded') ? true : undefined;
      },
      { what: 'the delivery page to show Succeeded', timeoutMs: 15_000, intervalMs: 300 },
    );
    expect(await p.locator('body').innerText()).toContain(eventId!);
    await b.shot(p, 'webhook-tools-test-delivery');

    // The chart on the webhook page now counts that attempt.
    await p.goto(`${b.baseUrl}/apps/${appId}/webhooks/${webhookId}`);
    expect(await p.locator('[data-activity-attempts]').innerText()).toBe('1');
    expect(await p.locator('[data-activity-success]').innerText()).toBe('100%');
    expect(await p.locator('svg[data-chart="attempts"] rect.bar').count()).toBe(24);
    await b.shot(p, 'webhook-tools-chart');
  });

  test('Format preview shows escaped Discord JSON, switchable to Telegram; the mobile layout holds', async () => {
    const { appId, webhookId } = await seed('discord');
    await h.t.db
      .updateTable('apps')
      .set({ name: '<img src=x onerror=alert(1)>' })
      .where('id', '=', appId)
      .execute();
    const p = await b.open(DESKTOP);
    await openWebhook(p, appId, webhookId);
    await Promise.all([p.waitForURL(/\/preview$/), p.getByRole('link', { name: 'Preview format' }).click()]);
    const first = p.locator('[data-preview-type="auth.login.failed"] .preview-body');
    const json = JSON.parse(await first.innerText()) as {
      embeds: { title: string; author: { name: string } }[];
    };
    expect(json.embeds[0]!.title).toBe('🛡️ Login failed');
    // The app name is data inside the JSON, never an element on the page.
    expect(json.embeds[0]!.author.name).toBe('<img src=x onerror=alert(1)>');
    expect(await p.locator('img[src=x]').count()).toBe(0);
    await b.shot(p, 'webhook-tools-preview-discord');

    await Promise.all([p.waitForURL(/format=telegram/), p.selectOption('#preview-format', 'telegram')]);
    const text = await p.locator('[data-preview-type="payment.failed"] .preview-text').innerText();
    expect(text).toContain('<b>❌ Payment failed</b>');
    await b.closeContext();

    const m = await b.open(MOBILE);
    await openWebhook(m, appId, webhookId);
    await m.goto(`${b.baseUrl}/apps/${appId}/webhooks/${webhookId}/preview`);
    await b.shot(m, 'webhook-tools-preview-mobile');
    expect(await m.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(MOBILE.width);
  });

  test('Replay since: the progress page refreshes itself from retrying to finished', async () => {
    const { appId, webhookId } = await seed();
    const dead = await Promise.all(
      [1, 2, 3].map(() =>
        seedDelivery(h.engine, { appId, webhookId, status: 'dead', attempts: [{ statusCode: 500 }] }),
      ),
    );
    // Each replayed delivery fails once (503), then succeeds on its retry a second later.
    let answered = 0;
    receiver.setHandler((_req, res) => void res.writeHead(answered++ < 3 ? 503 : 204).end());
    const p = await b.open(DESKTOP);
    await b.signIn(p);
    await p.goto(`${b.baseUrl}/apps/${appId}/webhooks/${webhookId}/deliveries`);
    await p.fill('#replay-since', '2020-01-01T00:00');
    p.once('dialog', (dialog) => void dialog.accept());
    await Promise.all([
      p.waitForURL(/\/replays\/rpl_[0-9A-Z]{26}$/),
      p.getByRole('button', { name: 'Replay' }).click(),
    ]);
    const progressUrl = p.url();
    expect(await p.locator('h1').innerText()).toBe('Replay in progress');
    await b.shot(p, 'webhook-tools-replay-progress');
    let loads = 0;
    p.on('load', () => loads++);
    // No script: the page's meta refresh brings the news.
    await p.locator('[data-replay-progress][data-done="true"]').waitFor({ timeout: 30_000 });
    expect(loads).toBeGreaterThanOrEqual(1);
    expect(p.url()).toBe(progressUrl);
    expect(await p.locator('h1').innerText()).toBe('Replay finished');
    expect(await p.locator('[data-count="succeeded"]').innerText()).toBe('3');
    expect(await p.locator('[data-count="pending"]').innerText()).toBe('0');
    expect(await p.locator('[data-count="failed"]').innerText()).toBe('0');
    await b.shot(p, 'webhook-tools-replay-finished');
    const delivered = new Set(receiver.requests.map((r) => r.headers['herald-delivery-id']));
    expect(delivered).toEqual(new Set(dead.map((d) => d.deliveryId)));
  });
});
