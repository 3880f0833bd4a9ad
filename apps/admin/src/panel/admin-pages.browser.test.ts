import type { Page } from 'playwright-core';
import { newId } from '@herald/core';
import { CLI_ACTOR, createApp as createHeraldApp, createWebhook, findAdminByEmail } from '@herald/engine';
import { waitUntil } from '@herald/testkit';
import { DESKTOP, MOBILE, useBrowserSuite } from './panel-browser-harness.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, clearLoginCounters, restoreFirstAdmin } from './panel-test-harness.js';

let originalHash: string;
const { b, h } = useBrowserSuite({
  reset: async () => {
    originalHash ??= (await findAdminByEmail(h.t.db, ADMIN_EMAIL))!.passwordHash;
    await restoreFirstAdmin(h, originalHash);
    await h.t.db.deleteFrom('admin_sessions').execute();
    await clearLoginCounters(h);
  },
});

const HOUR = 3_600_000;
const NOW = Date.now();

async function seed(): Promise<{ appId: string; eventId: string; deliveryId: string }> {
  const appId = (await createHeraldApp(h.t.db, CLI_ACTOR, { name: 'AuthVaultix' })).id;
  const webhookId = (
    await createWebhook(h.engine, CLI_ACTOR, appId, {
      url: 'https://discord.com/api/webhooks/42/very-secret-token',
    })
  ).webhook.id;
  const rows = [
    { type: 'auth.login.success', at: NOW - 3 * HOUR, data: { userId: 'u_1', ip: '198.51.100.7' } },
    {
      type: 'auth.login.failed',
      at: NOW - 2 * HOUR,
      data: { username: 'alice', ip: '203.0.113.9', attempt: 3 },
    },
    {
      type: 'auth.login.failed',
      at: NOW - 30 * 60_000,
      data: { username: '<img src=x onerror=alert(1)>', ip: '203.0.113.9' },
    },
    { type: 'payment.success', at: NOW - 10 * 60_000, data: { orderId: 'ord_1001', amount: 9.99 } },
  ].map((e) => ({ ...e, id: newId('event', e.at) }));
  await h.t.db
    .insertInto('events')
    .values(
      rows.map((e) => ({
        id: e.id,
        app_id: appId,
        type: e.type,
        payload: JSON.stringify(e.data),
        created_at: new Date(e.at),
      })),
    )
    .execute();
  const target = rows[2]!;
  const deliveryId = newId('delivery');
  await h.t.db
    .insertInto('deliveries')
    .values({
      id: deliveryId,
      event_id: target.id,
      webhook_id: webhookId,
      app_id: appId,
      status: 'dead',
      attempts: 8,
      last_status_code: 502,
    })
    .execute();
  return { appId, eventId: target.id, deliveryId };
}

/**
 * The one console problem a deliberate 4xx page leaves (Chromium logs every
 * 4xx), then none. Chromium reports it asynchronously, so wait for it first.
 */
async function expectOnlyProblem(pattern: RegExp): Promise<void> {
  await waitUntil(() => b.problems.length > 0, { timeoutMs: 5_000, what: 'the console message of the 4xx' });
  expect(b.problems).toHaveLength(1);
  expect(b.problems[0]).toMatch(pattern);
  b.problems.length = 0;
}

/** `YYYY-MM-DDTHH:mm` in UTC, as the datetime-local inputs take it. */
function utcInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

async function signInAs(p: Page, password: string): Promise<number> {
  await p.goto(`${b.baseUrl}/login`);
  await p.fill('input[type=email][name=email]', ADMIN_EMAIL);
  await p.fill('input[type=password][name=password]', password);
  const [response] = await Promise.all([
    p.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login'),
    p.click('button[type=submit]'),
  ]);
  return response.status();
}

describe('events, event types, audit log, admins and queues in Chromium', () => {
  test('search events by type and time, open one, see its payload and where it went, follow to the delivery', async () => {
    const { appId, eventId, deliveryId } = await seed();
    const p = await b.open(DESKTOP);
    await b.signIn(p);
    await Promise.all([
      p.waitForURL(`${b.baseUrl}/apps/${appId}/events`),
      p.click('nav a.nav-link:has-text("Events")'),
    ]);
    expect(await p.locator('table.events-table tbody tr').count()).toBe(4);
    await b.shot(p, '30-events-list');

    await p.fill('#event-type', 'auth.login.failed');
    await p.fill('#event-since', utcInput(NOW - HOUR));
    await p.fill('#event-until', utcInput(NOW + HOUR));
    await Promise.all([
      p.waitForURL(/type=auth\.login\.failed/),
      p.click('form:has(#event-type) button[type=submit]'),
    ]);
    const rows = p.locator('table.events-table tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-event-id')).toBe(eventId);
    expect(await p.inputValue('#event-type')).toBe('auth.login.failed');
    await b.shot(p, '31-events-search');

    await Promise.all([
      p.waitForURL(`${b.baseUrl}/apps/${appId}/events/${eventId}`),
      rows.first().locator('a:has-text("Details")').click(),
    ]);
    const payload = await p.locator('[data-payload]').innerText();
    expect(JSON.parse(payload)).toEqual({ username: '<img src=x onerror=alert(1)>', ip: '203.0.113.9' });
    expect(await p.locator('img').count()).toBe(0);
    const delivery = p.locator(`tr[data-delivery-id="${deliveryId}"]`);
    expect(await delivery.innerText()).toContain('Dead letter');
    expect(await delivery.locator('.url').innerText()).not.toContain('very-secret-token');
    await b.shot(p, '32-event-detail');
    await Promise.all([
      p.waitForURL(`${b.baseUrl}/apps/${appId}/deliveries/${deliveryId}`),
      delivery.locator('a:has-text("Attempts")').click(),
    ]);

    // Find by id; a bad id says so next to the form.
    await p.goto(`${b.baseUrl}/apps/${appId}/events`);
    await p.fill('#event-id', 'msg_nope');
    await Promise.all([p.waitForURL(/id=msg_nope/), p.click('form:has(#event-id) button[type=submit]')]);
    expect(await p.locator('[data-search-error]').innerText()).toContain('event ids look like msg_');
    await expectOnlyProblem(/status of 400/);
    await p.fill('#event-id', eventId);
    await Promise.all([
      p.waitForURL(`${b.baseUrl}/apps/${appId}/events/${eventId}`),
      p.click('form:has(#event-id) button[type=submit]'),
    ]);
  });

  test('the event types page shows the catalog with examples; on a phone the events page still reads', async () => {
    const { appId } = await seed();
    const p = await b.open(DESKTOP);
    await b.signIn(p);
    await p.goto(`${b.baseUrl}/apps/${appId}/event-types`);
    expect(await p.locator('.catalog-entry').count()).toBe(11);
    await p.locator('.catalog-entry[data-event-type="hwid.mismatch"] summary').click();
    expect(await p.locator('.catalog-entry[data-event-type="hwid.mismatch"] pre').innerText()).toContain(
      '"expected"',
    );
    expect(await p.locator('.catalog-entry .badge-ok').count()).toBe(3);
    await b.shot(p, '33-event-types');
    await b.closeContext();

    const m = await b.open(MOBILE);
    await b.signIn(m);
    await m.goto(`${b.baseUrl}/apps/${appId}/events`);
    expect(await m.locator('[data-event-card]').count()).toBe(4);
    expect(await m.locator('table.events-table').isVisible()).toBe(false);
    const width = await m.evaluate(
      () =>
        (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
          .documentElement.scrollWidth,
    );
    expect(width).toBeLessThanOrEqual(MOBILE.width);
    await b.shot(m, '34-events-mobile');
  });

  test('change my password: the other browser is signed out, this one stays, the new password signs in', async () => {
    const elsewhere = await b.open(DESKTOP);
    await b.signIn(elsewhere);
    const other = elsewhere.context();

    const browser = other.browser()!;
    const mine = await browser.newContext({ viewport: DESKTOP });
    const p = await mine.newPage();
    p.on('console', (m) => {
      if (m.type() === 'error') b.problems.push(`console: ${m.text()}`);
    });
    await b.signIn(p);
    await Promise.all([p.waitForURL(`${b.baseUrl}/account`), p.click('a.who-email')]);
    await p.fill('#current-password', 'not my password at all');
    await p.fill('#new-password', 'an entirely new passphrase');
    await p.fill('#confirm-password', 'an entirely new passphrase');
    await Promise.all([
      p.waitForURL(`${b.baseUrl}/account`),
      p.click('form[action="/account/password"] button[type=submit]'),
    ]);
    expect(await p.locator('[data-form-error]').innerText()).toContain(
      'Current password: is not your current password',
    );

    await p.fill('#current-password', ADMIN_PASSWORD);
    await p.fill('#new-password', 'an entirely new passphrase');
    await p.fill('#confirm-password', 'an entirely new passphrase');
    await Promise.all([
      p.waitForURL(`${b.baseUrl}/account`),
      p.click('form[action="/account/password"] button[type=submit]'),
    ]);
    expect(await p.locator('.toast-success').innerText()).toContain(
      'Password changed. 1 other session was signed out.',
    );
    await b.shot(p, '35-account-password-changed');

    await elsewhere.goto(`${b.baseUrl}/apps`);
    expect(new URL(elsewhere.url()).pathname).toBe('/login');
    await p.goto(`${b.baseUrl}/apps`);
    expect(new URL(p.url()).pathname).toBe('/apps');

    await Promise.all([p.waitForURL(/\/login/), p.click('button.sign-out')]);
    expect(await signInAs(p, ADMIN_PASSWORD)).toBe(401);
    await expectOnlyProblem(/status of 401/);
    expect(await signInAs(p, 'an entirely new passphrase')).toBe(303);
    await mine.close();
  });

  test('add an admin, see the audit log record it, remove the admin through the confirmation', async () => {
    const p = await b.open(DESKTOP);
    await b.signIn(p);
    p.on('dialog', (dialog) => void dialog.accept());
    await Promise.all([p.waitForURL(`${b.baseUrl}/admins`), p.click('nav a.nav-link:has-text("Admins")')]);
    await p.fill('#admin-email', 'second@example.com');
    await p.fill('#admin-password', 'a long initial password');
    await Promise.all([
      p.waitForURL(`${b.baseUrl}/admins`),
      p.click('form[action="/admins"] button[type=submit]'),
    ]);
    expect(await p.locator('.toast-success').innerText()).toContain('Admin second@example.com added.');
    expect(await p.locator('table.admins-table tbody tr').count()).toBe(2);
    await b.shot(p, '36-admins');

    await Promise.all([p.waitForURL(`${b.baseUrl}/audit`), p.click('nav a.nav-link:has-text("Audit log")')]);
    expect(await p.locator('tr[data-action="admin.create"]').first().innerText()).toContain(
      'second@example.com',
    );
    await Promise.all([p.waitForURL(/action=admin\.login/), p.selectOption('#audit-action', 'admin.login')]);
    expect(await p.locator('tbody tr').count()).toBe(1);
    await Promise.all([p.waitForURL(/admin=adm_/), p.selectOption('#audit-admin', { label: ADMIN_EMAIL })]);
    expect(await p.locator('tbody tr[data-action="admin.login"]').count()).toBe(1);
    await p.goto(`${b.baseUrl}/audit`);
    await b.shot(p, '37-audit-log');

    await p.goto(`${b.baseUrl}/admins`);
    await Promise.all([
      p.waitForURL(`${b.baseUrl}/admins`),
      p.locator('tr:has-text("second@example.com") button:has-text("Remove")').click(),
    ]);
    expect(await p.locator('.toast-success').innerText()).toContain('removed');
    expect(await p.locator('table.admins-table tbody tr').count()).toBe(1);
  });

  test('the queue dashboard is bull-board, read-only, behind the login', async () => {
    const p = await b.open(DESKTOP);
    await p.goto(`${b.baseUrl}/queues`);
    expect(new URL(p.url()).pathname).toBe('/login');
    await b.signIn(p);
    await h.engine.queues.maintenance.add('probe', {}, { delay: 60_000 });
    await p.goto(`${b.baseUrl}/queues`);
    await p.waitForSelector('text={deliveries}', { timeout: 15_000 });
    expect(await p.locator('text={events}').count()).toBeGreaterThan(0);
    expect(await p.locator('text={maintenance}').count()).toBeGreaterThan(0);
    await b.shot(p, '38-queues');
    // The board asks Google for a font; the CSP refuses, and it falls back to system fonts.
    const rest = b.problems.filter((problem) => !/fonts\.googleapis\.com/.test(problem));
    b.problems.length = 0;
    b.problems.push(...rest);
  });
});
