import type { Page } from 'playwright-core';
import { CLI_ACTOR, createApp as createHeraldApp, createWebhook, listWebhooks } from '@herald/engine';
import { DESKTOP, MOBILE, useBrowserSuite } from './panel-browser-harness.js';

const { b, h } = useBrowserSuite();

const open = (viewport: { width: number; height: number }): Promise<Page> => b.open(viewport);
const signIn = (p: Page): Promise<void> => b.signIn(p);
const shot = (p: Page, name: string): Promise<void> => b.shot(p, name);

/** Accepts (or dismisses) the next confirmation and returns its text. */
function nextDialog(p: Page, accept: boolean): Promise<string> {
  return new Promise((resolve) => {
    p.once('dialog', (dialog) => {
      const text = dialog.message();
      void (accept ? dialog.accept() : dialog.dismiss()).then(() => resolve(text));
    });
  });
}

describe('admin panel in Chromium', () => {
  test('sign in, add a webhook through the modal, see it listed with a toast, delete it through the ⋮ menu', async () => {
    const appId = (await createHeraldApp(h.t.db, CLI_ACTOR, { name: 'AuthVaultix' })).id;
    const p = await open(DESKTOP);
    await p.goto(`${b.baseUrl}/`);
    await p.waitForURL(`${b.baseUrl}/login`);
    await shot(p, '01-login');

    await signIn(p);
    expect(new URL(p.url()).pathname).toBe(`/apps/${appId}/webhooks`);
    await p.getByText('No webhooks configured yet.').waitFor();
    expect(await p.locator('h1').textContent()).toBe('Webhooks');
    expect(await p.getByText('Delete All').count()).toBe(0);
    expect(await p.getByRole('link', { name: 'Webhooks' }).count()).toBe(1);
    await shot(p, '02-webhooks-empty');

    await p.locator('.page-actions').getByRole('button', { name: 'Add Webhook' }).click();
    const modal = p.locator('#createWebhookModal');
    await modal.waitFor({ state: 'visible' });
    expect(await modal.getByText('Ensure your endpoint can verify signatures.').isVisible()).toBe(true);
    await modal.locator('input[name=url]').fill('https://hooks.example.com/herald/receive');
    await shot(p, '03-add-webhook-modal');
    await Promise.all([
      p.waitForLoadState('load'),
      modal.getByRole('button', { name: 'Add Webhook' }).click(),
    ]);

    const toast = p.locator('.toast');
    await toast.waitFor({ state: 'visible' });
    expect(await toast.textContent()).toContain('Webhook added.');
    const row = p.locator('table tbody tr');
    expect(await row.count()).toBe(1);
    const cells = await row.locator('td').allInnerTexts();
    expect(cells[0]).toContain('https://hooks.example.com/herald/receive');
    expect(cells[1]).toBe('Default');
    expect(cells[2]).toMatch(/^\d{1,2} [A-Z][a-z]{2} \d{4}$/);
    expect(await p.locator('#reveal-value').textContent()).toMatch(/^whsec_/);
    await shot(p, '04-webhook-added');

    await row.getByRole('button', { name: 'Actions' }).click();
    const del = row.getByRole('menuitem', { name: 'Delete' });
    await del.waitFor({ state: 'visible' });
    await shot(p, '05-actions-dropdown');
    const confirmed = nextDialog(p, true);
    await Promise.all([p.waitForLoadState('load'), del.click()]);
    expect(await confirmed).toMatch(/delete this webhook/i);
    await p.getByText('No webhooks configured yet.').waitFor();
    expect(await p.locator('.toast').textContent()).toContain('Webhook deleted.');
    expect((await listWebhooks(h.engine, appId)).data).toEqual([]);
    await shot(p, '06-webhook-deleted');
  });

  test('Delete All asks the seed question; dismissing keeps everything, accepting deletes everything', async () => {
    const appId = (await createHeraldApp(h.t.db, CLI_ACTOR, { name: 'Shop' })).id;
    await createWebhook(h.engine, CLI_ACTOR, appId, { url: 'https://a.example.com/hook' });
    await createWebhook(h.engine, CLI_ACTOR, appId, {
      url: 'https://discord.com/api/webhooks/1234567890/discord-token-that-must-not-show',
      userAgent: 'AuthVaultix-Relay/2.1',
    });
    const p = await open(DESKTOP);
    await signIn(p);
    expect(await p.locator('table tbody tr').count()).toBe(2);
    expect(await p.content()).not.toContain('discord-token-that-must-not-show');
    await shot(p, '07-webhooks-list');

    const dismissed = nextDialog(p, false);
    await p.getByRole('button', { name: 'Delete All' }).click();
    expect(await dismissed).toBe('Are you sure you want to delete ALL webhooks?');
    expect((await listWebhooks(h.engine, appId)).data).toHaveLength(2);

    const accepted = nextDialog(p, true);
    await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Delete All' }).click()]);
    await accepted;
    await p.getByText('No webhooks configured yet.').waitFor();
    expect(await p.locator('.toast').textContent()).toContain('Deleted 2 webhooks.');
    expect((await listWebhooks(h.engine, appId)).data).toEqual([]);
  });

  test('a validation error from the engine shows an error toast and reopens the modal with the input', async () => {
    await createHeraldApp(h.t.db, CLI_ACTOR, { name: 'Shop' });
    const p = await open(DESKTOP);
    await signIn(p);
    await p.locator('.page-actions').getByRole('button', { name: 'Add Webhook' }).click();
    await p.locator('#createWebhookModal input[name=url]').fill('http://169.254.169.254/latest/meta-data');
    await Promise.all([
      p.waitForLoadState('load'),
      p.locator('#createWebhookModal button[type=submit]').click(),
    ]);
    const toast = p.locator('.toast-error');
    await toast.waitFor({ state: 'visible' });
    expect(await toast.textContent()).toContain('Endpoint URL:');
    await p.locator('#createWebhookModal').waitFor({ state: 'visible' });
    // The backdrop covers the toast, so the modal repeats the error.
    expect(await p.locator('#createWebhookModal .alert-error').textContent()).toContain('Endpoint URL:');
    expect(await p.locator('#createWebhookModal input[name=url]').inputValue()).toBe(
      'http://169.254.169.254/latest/meta-data',
    );
    await shot(p, '08-validation-error');
  });

  test('on a phone-sized screen the webhooks are cards with a User Agent row and a ⋮ menu that deletes', async () => {
    const appId = (await createHeraldApp(h.t.db, CLI_ACTOR, { name: 'Shop' })).id;
    await createWebhook(h.engine, CLI_ACTOR, appId, {
      url: 'https://a-rather-long-subdomain.receivers.example.com/webhooks/herald/production/endpoint-1',
    });
    await createWebhook(h.engine, CLI_ACTOR, appId, {
      url: 'https://b.example.com/hook',
      userAgent: 'Relay/1.0',
    });
    const p = await open(MOBILE);
    await signIn(p);
    expect(await p.locator('table').isVisible()).toBe(false);
    const cards = p.locator('.webhook-card');
    expect(await cards.count()).toBe(2);
    expect(await cards.first().isVisible()).toBe(true);
    const firstUrl = cards.first().locator('.url');
    // Truncated: the element is narrower than its text.
    expect(await firstUrl.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    expect(await cards.first().locator('.kv-row').first().innerText()).toMatch(/User Agent\s+Default/);
    expect(await cards.nth(1).locator('.kv-row').first().innerText()).toMatch(/User Agent\s+Relay\/1\.0/);
    // Nothing overflows the viewport horizontally.
    expect(await p.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(MOBILE.width);
    await shot(p, '09-mobile-cards');

    await cards.first().getByRole('button', { name: 'Actions' }).click();
    await shot(p, '10-mobile-dropdown');
    const confirmed = nextDialog(p, true);
    await Promise.all([
      p.waitForLoadState('load'),
      cards.first().getByRole('menuitem', { name: 'Delete' }).click(),
    ]);
    await confirmed;
    await p.locator('.toast').waitFor({ state: 'visible' });
    expect(await p.locator('.webhook-card').count()).toBe(1);
    await shot(p, '11-mobile-after-delete');
  });

  test('markup in a user agent renders as text and runs nothing', async () => {
    const appId = (await createHeraldApp(h.t.db, CLI_ACTOR, { name: 'Shop' })).id;
    const payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
    await createWebhook(h.engine, CLI_ACTOR, appId, {
      url: 'https://x.example.com/hook',
      userAgent: payload,
    });
    const p = await open(DESKTOP);
    let alerted = false;
    p.on('dialog', (dialog) => {
      alerted = true;
      void dialog.dismiss();
    });
    await signIn(p);
    expect(await p.locator('table tbody tr td.cell-ua').innerText()).toBe(payload);
    expect(await p.evaluate('window.__xss')).toBeUndefined();
    expect(await p.locator('table img').count()).toBe(0);
    expect(alerted).toBe(false);
    await shot(p, '12-xss-as-text');
  });

  test('the apps page, the API keys page and the 404 page look like the rest of the product', async () => {
    const appId = (await createHeraldApp(h.t.db, CLI_ACTOR, { name: 'AuthVaultix' })).id;
    await createHeraldApp(h.t.db, CLI_ACTOR, { name: 'Loader' });
    const p = await open(DESKTOP);
    await signIn(p);
    await p.getByRole('link', { name: 'Apps' }).click();
    await p.getByRole('heading', { name: 'Apps' }).waitFor();
    await shot(p, '13-apps');

    await p.goto(`${b.baseUrl}/apps/${appId}/api-keys`);
    await p.fill('input[name=name]', 'backend-prod');
    await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Create key' }).click()]);
    expect(await p.locator('#reveal-value').textContent()).toMatch(/^hk_/);
    await shot(p, '14-api-key-created');

    // The switcher changes app on selection.
    await Promise.all([p.waitForURL(/\/webhooks$/), p.selectOption('#app-switcher', { label: 'Loader' })]);
    expect(await p.locator('.eyebrow').textContent()).toBe('Loader');

    await p.goto(`${b.baseUrl}/nothing-here`);
    expect(await p.getByText('Page not found').isVisible()).toBe(true);
    // A 404 is logged to the console by Chromium as a failed resource load; that one is expected.
    b.problems.splice(0, b.problems.length, ...b.problems.filter((m) => !m.includes('404')));
    await shot(p, '15-not-found');
  });
});
