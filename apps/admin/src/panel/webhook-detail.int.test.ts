import { CLI_ACTOR, createApp as createHeraldApp, createWebhook, getWebhook } from '@herald/engine';
import { seedDelivery } from './delivery-fixtures.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  addAppWithWebhook,
  loginCounterTtls,
  signInAgent,
  usePanelSuite,
  tokenOf,
  type Agent,
} from './panel-test-harness.js';
import { LOGIN_MAX_ATTEMPTS } from './panel.routes.js';
import { parseHeaderLines } from './webhook-detail.routes.js';

const h = usePanelSuite();

const login = (): Promise<Agent> => signInAgent(h);

const setup = (): Promise<{ appId: string; webhookId: string; secret: string }> => addAppWithWebhook(h);

const SETTINGS = {
  description: 'Orders to the CRM',
  events: ['payment.success', 'payment.failed'],
  wildcards: 'auth.*, order.created',
  format: 'slack',
  headers: 'X-Source: herald\nX-Team: billing',
  rateLimit: '25',
  userAgent: 'Shop-Relay/1.0',
};

describe('panel webhook detail', () => {
  test('when the list is shown, each row links to the webhook page, which shows its settings', async () => {
    const { appId, webhookId } = await setup();
    const agent = await login();
    const list = await agent.get(`/apps/${appId}/webhooks`).expect(200);
    expect(list.text).toContain(`href="/apps/${appId}/webhooks/${webhookId}"`);
    const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}`).expect(200);
    expect(page.text).toContain('https://hooks.example.com/h');
    // The description is one line (the engine refuses line breaks): no textarea to press Enter in.
    expect(page.text).toMatch(/<input id="wh-description" name="description" type="text"/);
    for (const type of ['auth.login.success', 'hwid.reset', 'payment.failed']) {
      expect(page.text).toContain(`value="${type}"`);
    }
    expect(page.text).toContain(`href="/apps/${appId}/webhooks/${webhookId}/deliveries"`);
    expect(page.text).not.toContain('whsec_');
  });

  test('when the settings are saved, the engine gets every field and the form shows them again', async () => {
    const { appId, webhookId } = await setup();
    const agent = await login();
    await agent
      .post(`/apps/${appId}/webhooks/${webhookId}`)
      .type('form')
      .send({ _csrf: await tokenOf(agent), ...SETTINGS })
      .expect(303)
      .expect('location', `/apps/${appId}/webhooks/${webhookId}`);
    const webhook = await getWebhook(h.engine, appId, webhookId);
    expect(webhook).toMatchObject({
      description: 'Orders to the CRM',
      events: ['payment.success', 'payment.failed', 'auth.*', 'order.created'],
      format: 'slack',
      headers: { 'X-Source': 'herald', 'X-Team': 'billing' },
      rateLimitPerSecond: 25,
      userAgent: 'Shop-Relay/1.0',
    });
    const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}`).expect(200);
    expect(page.text).toContain('Webhook saved.');
    expect(page.text).toMatch(/value="payment.success" checked/);
    expect(page.text).not.toMatch(/value="hwid.reset" checked/);
    expect(page.text).toContain('value="auth.*, order.created"');
    expect(page.text).toMatch(/<option value="slack" selected>/);
    // jsonb keeps its own key order: one line per header, in any order.
    expect(page.text).toMatch(
      /<textarea[^>]*name="headers"[^>]*>(X-Source: herald\nX-Team: billing|X-Team: billing\nX-Source: herald)<\/textarea>/,
    );
    const audit = await h.t.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'webhook.update')
      .where('target_id', '=', webhookId)
      .execute();
    expect(audit).toHaveLength(1);
  });

  test('when a header carries a credential, the page shows it masked and saving as shown keeps it', async () => {
    const { appId, webhookId } = await setup();
    const agent = await login();
    const token = await tokenOf(agent);
    const path = `/apps/${appId}/webhooks/${webhookId}`;
    const save = (headers: string) =>
      agent
        .post(path)
        .type('form')
        .send({ ...SETTINGS, headers, _csrf: token })
        .expect(303);
    await save('Authorization: Bearer s3cr3t-loki-token\nX-Source: herald');
    let page = await agent.get(path).expect(200);
    expect(page.text).not.toContain('s3cr3t-loki-token');
    expect(page.text).toContain('Authorization: ••••••');
    expect(page.text).toContain('X-Source: herald');
    // Saved again as shown (another field changed): the stored value stays.
    await save('Authorization: ••••••\nX-Source: herald-2');
    expect((await getWebhook(h.engine, appId, webhookId)).headers).toEqual({
      Authorization: 'Bearer s3cr3t-loki-token',
      'X-Source': 'herald-2',
    });
    // A new value replaces it; a masked value for a header that has none is refused.
    await save('Authorization: Bearer rotated\nX-Source: herald-2');
    expect((await getWebhook(h.engine, appId, webhookId)).headers['Authorization']).toBe('Bearer rotated');
    await save('Authorization: ••••••\nX-Api-Key: ••••••');
    page = await agent.get(path).expect(200);
    expect(page.text).toContain('Custom headers: type the value of X-Api-Key (only saved values are masked)');
    expect((await getWebhook(h.engine, appId, webhookId)).headers).toEqual({
      Authorization: 'Bearer rotated',
      'X-Source': 'herald-2',
    });
  });

  test('when a field is invalid, an error toast names it, the input comes back and nothing changes', async () => {
    const { appId, webhookId } = await setup();
    const agent = await login();
    const token = await tokenOf(agent);
    const cases: [Record<string, string>, RegExp][] = [
      [{ headers: 'no colon here' }, /Custom headers: line 1 must look like Name: value/],
      [{ headers: 'Content-Type: text/plain' }, /Custom headers: Content-Type is set by Herald/],
      [{ wildcards: 'not a valid type!' }, /Event types: /],
      [{ rateLimit: 'fast' }, /Rate limit: /],
      [{ rateLimit: '0' }, /Rate limit: /],
      [{ format: 'carrier-pigeon' }, /Format: must be one of/],
    ];
    for (const [change, message] of cases) {
      await agent
        .post(`/apps/${appId}/webhooks/${webhookId}`)
        .type('form')
        .send({ _csrf: token, ...SETTINGS, ...change })
        .expect(303);
      const page = await agent.get(`/apps/${appId}/webhooks/${webhookId}`).expect(200);
      expect(page.text).toMatch(/toast-error/);
      expect(page.text).toMatch(message);
      // The form shows what was submitted, not the stored values.
      expect(page.text).toContain('Orders to the CRM');
    }
    expect((await getWebhook(h.engine, appId, webhookId)).description).toBe('');
  });

  test('when the webhook is paused, held deliveries show; resuming releases them with a toast', async () => {
    const { appId, webhookId } = await setup();
    const agent = await login();
    const token = await tokenOf(agent);
    const path = `/apps/${appId}/webhooks/${webhookId}`;
    await agent.post(`${path}/state`).type('form').send({ _csrf: token, state: 'paused' }).expect(303);
    expect((await getWebhook(h.engine, appId, webhookId)).state).toBe('paused');
    await seedDelivery(h.engine, { appId, webhookId, status: 'held' });
    await seedDelivery(h.engine, { appId, webhookId, status: 'held' });
    let page = await agent.get(path).expect(200);
    expect(page.text).toMatch(/data-held-count>2</);
    expect(page.text).toContain('Resume');

    await agent.post(`${path}/state`).type('form').send({ _csrf: token, state: 'enabled' }).expect(303);
    page = await agent.get(path).expect(200);
    expect(page.text).toContain('Webhook resumed; released 2 held deliveries.');
    expect(page.text).toMatch(/data-held-count>0</);

    await agent.post(`${path}/state`).type('form').send({ _csrf: token, state: 'disabled' }).expect(303);
    expect((await getWebhook(h.engine, appId, webhookId)).state).toBe('disabled');
    page = await agent.get(path).expect(200);
    expect(page.text).toContain('Webhook disabled.');
    await agent.post(`${path}/state`).type('form').send({ _csrf: token, state: 'enabled' }).expect(303);
    page = await agent.get(path).expect(200);
    expect(page.text).toContain('Webhook enabled; released 0 held deliveries.');

    await agent.post(`${path}/state`).type('form').send({ _csrf: token, state: 'deleted' }).expect(303);
    page = await agent.get(path).expect(200);
    expect(page.text).toContain('State: must be enabled, paused or disabled');
  });

  test('when the secret is rotated, the new one is shown once and the previous one stays valid for the grace period', async () => {
    const { appId, webhookId, secret } = await setup();
    const agent = await login();
    const token = await tokenOf(agent);
    const path = `/apps/${appId}/webhooks/${webhookId}`;
    await agent
      .post(`${path}/rotate-secret`)
      .type('form')
      .send({ _csrf: token, graceHours: '48' })
      .expect(303);
    let page = await agent.get(path).expect(200);
    const shown = /id="reveal-value" class="mono">(whsec_[^<]+)</.exec(page.text)?.[1];
    expect(shown).toBeDefined();
    expect(shown).not.toBe(secret);
    expect(page.text).toContain('Previous secret valid until');
    expect(page.text).toMatch(/Secret rotated\. The previous secret stays valid until/);
    const webhook = await getWebhook(h.engine, appId, webhookId);
    const hours = (webhook.previousSecretExpiresAt!.getTime() - Date.now()) / 3600_000;
    expect(hours).toBeGreaterThan(47.9);
    expect(hours).toBeLessThanOrEqual(48);
    // Shown once: the next page has no secret.
    page = await agent.get(path).expect(200);
    expect(page.text).not.toContain(shown!);

    for (const graceHours of ['-1', '721', 'soon', '']) {
      await agent.post(`${path}/rotate-secret`).type('form').send({ _csrf: token, graceHours }).expect(303);
      page = await agent.get(path).expect(200);
      expect(page.text).toContain('Grace period: must be a whole number of hours from 0 to 720');
    }
  });

  test('when the secret is revealed, the password is asked again; a wrong one is refused and audited', async () => {
    const { appId, webhookId, secret } = await setup();
    const agent = await login();
    const token = await tokenOf(agent);
    const path = `/apps/${appId}/webhooks/${webhookId}`;
    for (const password of ['wrong password!!', '']) {
      await agent.post(`${path}/reveal-secret`).type('form').send({ _csrf: token, password }).expect(303);
      const page = await agent.get(path).expect(200);
      expect(page.text).toContain('Password: incorrect. The secret was not shown.');
      expect(page.text).not.toContain(secret);
    }
    await agent
      .post(`${path}/reveal-secret`)
      .type('form')
      .send({ _csrf: token, password: ADMIN_PASSWORD })
      .expect(303);
    const page = await agent.get(path).expect(200);
    expect(page.text).toContain(secret);
    const audit = await h.t.db
      .selectFrom('audit_log')
      .select(['action', 'actor_label'])
      .where('action', 'in', ['webhook.reveal_secret', 'webhook.reveal_secret_refused'])
      .where('target_id', '=', webhookId)
      .orderBy('created_at')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'webhook.reveal_secret_refused',
      'webhook.reveal_secret_refused',
      'webhook.reveal_secret',
    ]);
    expect(audit.every((a) => a.actor_label === ADMIN_EMAIL)).toBe(true);
  });

  test('when the password to reveal the secret is guessed too often, even the right one is refused until the window ends', async () => {
    const { appId, webhookId, secret } = await setup();
    const agent = await login();
    const token = await tokenOf(agent);
    const path = `/apps/${appId}/webhooks/${webhookId}`;
    for (let i = 0; i < LOGIN_MAX_ATTEMPTS; i++) {
      await agent
        .post(`${path}/reveal-secret`)
        .type('form')
        .send({ _csrf: token, password: `guess number ${i}` })
        .expect(303);
    }
    const refused = await agent
      .post(`${path}/reveal-secret`)
      .type('form')
      .send({ _csrf: token, password: ADMIN_PASSWORD })
      .expect(303);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const page = await agent.get(path).expect(200);
    expect(page.text).toContain('Too many attempts. Try again later. The secret was not shown.');
    expect(page.text).not.toContain(secret);
    expect(await loginCounterTtls(h)).toHaveLength(1);
  });

  test('when any new POST comes without the CSRF token, it is refused with 403 and nothing changes', async () => {
    const { appId, webhookId } = await setup();
    const agent = await login();
    const path = `/apps/${appId}/webhooks/${webhookId}`;
    const posts: [string, Record<string, string>][] = [
      [path, SETTINGS as unknown as Record<string, string>],
      [`${path}/state`, { state: 'paused' }],
      [`${path}/rotate-secret`, { graceHours: '1' }],
      [`${path}/reveal-secret`, { password: ADMIN_PASSWORD }],
    ];
    for (const [url, body] of posts) {
      await agent.post(url).type('form').send(body).expect(403);
      await agent
        .post(url)
        .type('form')
        .send({ ...body, _csrf: 'forged' })
        .expect(403);
    }
    const webhook = await getWebhook(h.engine, appId, webhookId);
    expect(webhook.state).toBe('enabled');
    expect(webhook.description).toBe('');
    expect(webhook.previousSecretExpiresAt).toBeNull();
    const audit = await h.t.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'webhook.%')
      .where('action', '!=', 'webhook.create')
      .where('target_id', '=', webhookId)
      .execute();
    expect(audit).toEqual([]);
  });

  test("when another app's webhook id is used, the answer is 404 and nothing changes", async () => {
    const mine = await setup();
    const otherAppId = (await createHeraldApp(h.t.db, CLI_ACTOR, { name: 'Other' })).id;
    const theirs = await createWebhook(h.engine, CLI_ACTOR, otherAppId, {
      url: 'https://other.example.com/h',
    });
    const agent = await login();
    const token = await tokenOf(agent);
    const path = `/apps/${mine.appId}/webhooks/${theirs.webhook.id}`;
    await agent.get(path).expect(404);
    await agent.get(`/apps/${mine.appId}/webhooks/wh_nope`).expect(404);
    await agent
      .post(path)
      .type('form')
      .send({ _csrf: token, ...SETTINGS })
      .expect(404);
    await agent.post(`${path}/state`).type('form').send({ _csrf: token, state: 'paused' }).expect(404);
    await agent
      .post(`${path}/rotate-secret`)
      .type('form')
      .send({ _csrf: token, graceHours: '1' })
      .expect(404);
    const reveal = await agent
      .post(`${path}/reveal-secret`)
      .type('form')
      .send({ _csrf: token, password: ADMIN_PASSWORD })
      .expect(404);
    expect(reveal.text).not.toContain(theirs.secret);
    const webhook = await getWebhook(h.engine, otherAppId, theirs.webhook.id);
    expect(webhook).toMatchObject({ state: 'enabled', description: '', previousSecretExpiresAt: null });
  });
});

describe('custom header lines', () => {
  test('one Name: value per line, blank lines skipped, values may hold colons', () => {
    expect(parseHeaderLines('A: 1\r\n\nB:  x:y  \n')).toEqual({ headers: { A: '1', B: 'x:y' } });
    expect(parseHeaderLines('')).toEqual({ headers: {} });
    // A header may be called Error: it is a header, not a parse error.
    expect(parseHeaderLines('Error: none')).toEqual({ headers: { Error: 'none' } });
    expect(parseHeaderLines('A: 1\nA: 2')).toEqual({ error: 'Custom headers: A appears twice' });
    expect(parseHeaderLines(': value')).toEqual({
      error: 'Custom headers: line 1 must look like Name: value',
    });
  });
});
