import type { Page } from 'playwright-core';
import { CLI_ACTOR, createApp as createHeraldApp, createWebhook } from '@herald/engine';
import { seedDelivery } from './delivery-fixtures.js';
import { DESKTOP, MOBILE, useBrowserSuite } from './panel-browser-harness.js';
import { ADMIN_PASSWORD } from './panel-test-harness.js';

const { b, h } = useBrowserSuite();

const open = (viewport: { width: number; height: number }): Promise<Page> => b.open(viewport);
const signIn = (p: Page): Promise<void> => b.signIn(p);
const shot = (p: Page, name: string): Promise<void> => b.shot(p, name);

async function seed(): Promise<{ appId: string; webhookId: string; deliveryId: string }> {
  const appId = (await createHeraldApp(h.t.db, CLI_ACTOR, { name: 'AuthVaultix' })).id;
  const webhookId = (
    await createWebhook(h.engine, CLI_ACTOR, appId, {
      url: 'https://hooks.example.com/herald/receive',
      description: 'License events to the CRM',
    })
  ).webhook.id;
  await seedDelivery(h.engine, {
    appId,
    webhookId,
    status: 'succeeded',
    type: 'user.register',
    createdAt: new Date(Date.now() - 5 * 60_000),
    attempts: [{ statusCode: 200, snippet: '{"ok":true}' }],
  });
  const { deliveryId } = await seedDelivery(h.engine, {
    appId,
    webhookId,
    status: 'dead',
    type: 'license.redeem',
    attempts: [
      { statusCode: null, error: 'connect ECONNREFUSED 93.184.215.14:443', durationMs: 12 },
      { statusCode: 503, error: 'HTTP 503', snippet: 'Service Unavailable', durationMs: 230 },
      {
        statusCode: 500,
        error: 'HTTP 500',
        snippet: '<html><body><h1>500</h1><script>window.__xss=1</script></body></html>',
        durationMs: 1843,
      },
    ],
  });
  return { appId, webhookId, deliveryId };
}

describe('webhook detail and deliveries in Chromium', () => {
  test('open a webhook, see its dead delivery and its attempts, retry it and get a toast', async () => {
    const { appId, webhookId, deliveryId } = await seed();
    const p = await open(DESKTOP);
    await signIn(p);

    await Promise.all([
      p.waitForURL(`${b.baseUrl}/apps/${appId}/webhooks/${webhookId}`),
      p.locator('table tbody tr a.url').click(),
    ]);
    expect(await p.locator('h1').innerText()).toContain('Webhook');
    expect(await p.locator('#wh-description').inputValue()).toBe('License events to the CRM');
    expect(await p.locator('input[name=events]').count()).toBe(11);
    await shot(p, '20-webhook-detail');

    await Promise.all([
      p.waitForURL(`${b.baseUrl}/apps/${appId}/webhooks/${webhookId}/deliveries`),
      p.locator('.page-actions').getByRole('link', { name: 'Deliveries' }).click(),
    ]);
    const rows = p.locator('table tbody tr');
    expect(await rows.count()).toBe(2);
    // Newest first: the dead letter is on top.
    expect(await rows.first().getAttribute('data-delivery-id')).toBe(deliveryId);
    expect(await rows.first().locator('.status').innerText()).toBe('Dead letter');
    await shot(p, '21-webhook-deliveries');

    // The status filter submits on change (no button with JS).
    await Promise.all([p.waitForURL(/status=dead$/), p.selectOption('#status-filter', 'dead')]);
    expect(await rows.count()).toBe(1);
    await shot(p, '22-deliveries-dead-letters');

    await Promise.all([
      p.waitForURL(`${b.baseUrl}/apps/${appId}/deliveries/${deliveryId}`),
      rows.first().getByRole('link', { name: 'Attempts' }).click(),
    ]);
    const attempts = p.locator('.attempt');
    expect(await attempts.count()).toBe(3);
    // Newest attempt first, its response open and shown as text.
    expect(await attempts.first().locator('.attempt-head').innerText()).toMatch(/#3\s+500[\s\S]*1843 ms/);
    expect(await attempts.first().locator('pre').innerText()).toContain('<script>window.__xss=1</script>');
    expect(await p.evaluate('window.__xss')).toBeUndefined();
    expect(await attempts.nth(2).innerText()).toContain('connect ECONNREFUSED');
    await shot(p, '23-delivery-attempts');

    await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Retry' }).click()]);
    const toast = p.locator('.toast');
    await toast.waitFor({ state: 'visible' });
    expect(await toast.innerText()).toContain('Delivery queued for another attempt.');
    expect(await p.locator('h1 .status').innerText()).toBe('Pending');
    await shot(p, '24-delivery-retried');
    expect(await h.engine.queues.deliveries.getJob(deliveryId)).toBeDefined();
  });

  test('reveal the secret with the password, then see the app-wide deliveries on a phone', async () => {
    const { appId, webhookId } = await seed();
    const p = await open(DESKTOP);
    await signIn(p);
    await p.goto(`${b.baseUrl}/apps/${appId}/webhooks/${webhookId}`);
    await p.fill('#reveal-password', ADMIN_PASSWORD);
    await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Reveal secret' }).click()]);
    expect(await p.locator('#reveal-value').textContent()).toMatch(/^whsec_/);
    await p.locator('.toast').waitFor({ state: 'visible' });
    await shot(p, '25-secret-revealed');
    await b.closeContext();

    const m = await open(MOBILE);
    await signIn(m);
    await m.goto(`${b.baseUrl}/apps/${appId}/deliveries`);
    expect(await m.locator('table').isVisible()).toBe(false);
    const cards = m.locator('.delivery-card');
    expect(await cards.count()).toBe(2);
    expect(await cards.first().locator('.status').innerText()).toBe('Dead letter');
    expect(await m.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(MOBILE.width);
    await shot(m, '26-mobile-deliveries');
    await m.goto(`${b.baseUrl}/apps/${appId}/webhooks/${webhookId}`);
    expect(await m.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(MOBILE.width);
    await shot(m, '27-mobile-webhook-detail');
  });
});
