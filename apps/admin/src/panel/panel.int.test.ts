import request from 'supertest';
import { NotFoundError } from '@herald/core';
import {
  createApp as createHeraldApp,
  createWebhook,
  getWebhook,
  listWebhooks,
  CLI_ACTOR,
} from '@herald/engine';
import { LOGIN_MAX_ATTEMPTS } from './panel.routes.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  csrfFrom,
  loginCounterTtls,
  resetPanel,
  signInAgent,
  startPanelHarness,
  tokenOf,
  type Agent,
  type PanelHarness,
} from './panel-test-harness.js';

let h: PanelHarness;

beforeAll(async () => {
  h = await startPanelHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetPanel(h);
});

const login = (agent?: Agent, password?: string): Promise<Agent> => signInAgent(h, agent, password);

async function makeApp(name = 'Shop'): Promise<string> {
  return (await createHeraldApp(h.t.db, CLI_ACTOR, { name })).id;
}

async function makeWebhook(appId: string, url = 'https://hooks.example.com/herald'): Promise<string> {
  return (await createWebhook(h.engine, CLI_ACTOR, appId, { url })).webhook.id;
}

describe('panel sign-in', () => {
  test('when nobody is signed in, panel pages redirect to /login', async () => {
    const appId = await makeApp();
    for (const path of [
      '/',
      '/apps',
      `/apps/${appId}/webhooks`,
      `/apps/${appId}/api-keys`,
      '/no-such-page',
    ]) {
      await request(h.app).get(path).expect(303).expect('location', '/login');
    }
  });

  test('when /login is shown, it has the email and password inputs, a strict CSP and a safe cookie', async () => {
    const res = await request(h.app).get('/login').expect(200);
    expect(res.text).toMatch(/<input[^>]*name="email"[^>]*type="email"/);
    expect(res.text).toMatch(/<input[^>]*name="password"[^>]*type="password"/);
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const cookie = (res.headers['set-cookie'] as unknown as string[]).join(';');
    expect(cookie).toMatch(/herald_sid=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
  });

  test('when the password is wrong, the page says so and the visitor stays signed out', async () => {
    const agent = request.agent(h.app);
    const page = await agent.get('/login');
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: ADMIN_EMAIL, password: 'wrong password!!' })
      .expect(401);
    expect(res.text).toContain('Invalid email or password.');
    expect(res.text).toContain(`value="${ADMIN_EMAIL}"`);
    await agent.get('/apps').expect(303).expect('location', '/login');
    const audit = await h.t.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'admin.login_failed')
      .execute();
    expect(audit.length).toBeGreaterThan(0);
  });

  test('when the email is unknown, the answer is the same as for a wrong password', async () => {
    const agent = request.agent(h.app);
    const page = await agent.get('/login');
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: 'nobody@example.com', password: ADMIN_PASSWORD })
      .expect(401);
    expect(res.text).toContain('Invalid email or password.');
  });

  test('when the login succeeds, the session id changes and the admin is recorded and audited', async () => {
    const agent = request.agent(h.app);
    const page = await agent.get('/login');
    const before = /herald_sid=([^;]+)/.exec((page.headers['set-cookie'] as unknown as string[])[0]!)![1];
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: ADMIN_EMAIL.toUpperCase(), password: ADMIN_PASSWORD })
      .expect(303);
    const after = /herald_sid=([^;]+)/.exec((res.headers['set-cookie'] as unknown as string[])[0]!)![1];
    expect(after).not.toBe(before);
    // The pre-login session is gone from the store.
    const sids = await h.t.db.selectFrom('admin_sessions').select(['sid', 'admin_id']).execute();
    expect(sids).toEqual([{ sid: expect.any(String), admin_id: h.admin.id }]);
    const admin = await h.t.db.selectFrom('admin_users').select('last_login_at').executeTakeFirstOrThrow();
    expect(admin.last_login_at).toBeInstanceOf(Date);
    const audit = await h.t.db
      .selectFrom('audit_log')
      .select(['action', 'actor_id', 'ip'])
      .where('action', '=', 'admin.login')
      .execute();
    expect(audit.at(-1)).toEqual({ action: 'admin.login', actor_id: h.admin.id, ip: expect.any(String) });
  });

  test(`when ${LOGIN_MAX_ATTEMPTS} attempts failed, the next one is refused with 429 even with the right password`, async () => {
    const agent = request.agent(h.app);
    const token = csrfFrom((await agent.get('/login')).text);
    const attempt = (email: string, password: string) =>
      agent.post('/login').type('form').send({ _csrf: token, email, password });
    for (let i = 0; i < LOGIN_MAX_ATTEMPTS; i++)
      await attempt(ADMIN_EMAIL, `wrong-${i}-password`).expect(401);
    const refused = await attempt(ADMIN_EMAIL, ADMIN_PASSWORD).expect(429);
    expect(refused.text).toContain('Too many sign-in attempts');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    // The counter is per (IP, email): another email is not throttled by it.
    await attempt('other@example.com', 'whatever password').expect(401);
    const ttls = await loginCounterTtls(h);
    expect(ttls.length).toBe(2);
    expect(ttls[0]).toBeGreaterThan(0);
  });

  test('when a login succeeds, earlier failures stop counting', async () => {
    const agent = request.agent(h.app);
    const token = csrfFrom((await agent.get('/login')).text);
    for (let i = 0; i < LOGIN_MAX_ATTEMPTS - 1; i++) {
      await agent
        .post('/login')
        .type('form')
        .send({ _csrf: token, email: ADMIN_EMAIL, password: 'nope nope nope' })
        .expect(401);
    }
    await login(agent);
    expect(await loginCounterTtls(h)).toEqual([]);
  });

  test('when the admin signs out (a POST), the session is gone; GET /logout changes nothing', async () => {
    const agent = await login();
    await agent.get('/logout').expect(404);
    await agent.get('/apps').expect(200);
    await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: await tokenOf(agent) })
      .expect(303)
      .expect('location', '/login?signed_out=1');
    await agent.get('/apps').expect(303).expect('location', '/login');
    expect(
      await h.t.db.selectFrom('admin_sessions').select('sid').where('admin_id', '=', h.admin.id).execute(),
    ).toEqual([]);
  });

  test('when the session was idle past its deadline, or is older than the absolute lifetime, it is over', async () => {
    const idle = await login();
    await h.t.db
      .updateTable('admin_sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute();
    await idle.get('/apps').expect(303).expect('location', '/login');

    const old = await login();
    await h.t.db
      .updateTable('admin_sessions')
      .set({ created_at: new Date(Date.now() - 13 * 3600_000) })
      .where('admin_id', '=', h.admin.id)
      .execute();
    await old.get('/apps').expect(303).expect('location', '/login');
  });
});

describe('panel CSRF', () => {
  test('when any POST comes without the session token, or with a wrong one, it is refused with 403 and changes nothing', async () => {
    const appId = await makeApp();
    const webhookId = await makeWebhook(appId);
    const agent = await login();
    const posts: [string, Record<string, string>][] = [
      ['/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }],
      ['/logout', {}],
      ['/apps', { name: 'Sneaky' }],
      ['/apps/switch', { appId }],
      [`/apps/${appId}/webhooks`, { url: 'https://evil.example.com/' }],
      [`/apps/${appId}/webhooks/delete-all`, {}],
      [`/apps/${appId}/webhooks/${webhookId}/delete`, {}],
      [`/apps/${appId}/webhooks/${webhookId}/pause`, {}],
      [`/apps/${appId}/webhooks/${webhookId}/resume`, {}],
      [`/apps/${appId}/api-keys`, { name: 'k' }],
      [`/apps/${appId}/api-keys/key_01ARZ3NDEKTSV4RRFFQ69G5FAV/revoke`, {}],
    ];
    for (const [path, body] of posts) {
      const missing = await agent.post(path).type('form').send(body);
      expect([path, missing.status]).toEqual([path, 403]);
      expect(missing.text).toContain('Request refused');
      const wrong = await agent
        .post(path)
        .type('form')
        .send({ ...body, _csrf: 'x'.repeat(43) });
      expect([path, wrong.status]).toEqual([path, 403]);
      // Without any session at all, too.
      const anonymous = await request(h.app)
        .post(path)
        .type('form')
        .send({ ...body, _csrf: 'x'.repeat(43) });
      expect([path, anonymous.status]).toEqual([path, 403]);
    }
    expect((await listWebhooks(h.engine, appId)).data.map((w) => [w.id, w.state])).toEqual([
      [webhookId, 'enabled'],
    ]);
    expect(await h.t.db.selectFrom('apps').select('name').execute()).toEqual([{ name: 'Shop' }]);
    expect(await h.t.db.selectFrom('api_keys').select('id').execute()).toEqual([]);
    await agent.get('/apps').expect(200);
  });

  test("when another session's token is sent, it is refused", async () => {
    const appId = await makeApp();
    const mine = await login();
    const theirs = await login();
    const res = await mine
      .post(`/apps/${appId}/webhooks/delete-all`)
      .type('form')
      .send({ _csrf: await tokenOf(theirs) });
    expect(res.status).toBe(403);
  });
});

describe('panel apps', () => {
  test('when no app exists, the panel offers to create one and opens it', async () => {
    const agent = await login();
    await agent.get('/').expect(303).expect('location', '/apps');
    const page = await agent.get('/apps').expect(200);
    expect(page.text).toContain('Create your first app');
    const created = await agent
      .post('/apps')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), name: 'Shop' })
      .expect(303);
    const appId = /\/apps\/(app_[0-9A-Z]+)\/webhooks/.exec(created.headers['location'] as string)![1]!;
    await agent.get('/').expect(303).expect('location', `/apps/${appId}/webhooks`);
  });

  test('when an app name is invalid, an error toast explains it and nothing is created', async () => {
    const agent = await login();
    await agent
      .post('/apps')
      .type('form')
      .send({ _csrf: await tokenOf(agent), name: '   ' })
      .expect(303)
      .expect('location', '/apps');
    const page = await agent.get('/apps').expect(200);
    expect(page.text).toMatch(/toast-error[\s\S]*Name: must be 1–200 characters/);
    expect(await h.t.db.selectFrom('apps').select('id').execute()).toEqual([]);
  });

  test('after login the panel opens the last-used app, else the oldest', async () => {
    const oldest = await makeApp('First');
    const second = await makeApp('Second');
    let agent = await login();
    await agent.get('/').expect(303).expect('location', `/apps/${oldest}/webhooks`);
    await agent
      .post('/apps/switch')
      .type('form')
      .send({ _csrf: await tokenOf(agent), appId: second })
      .expect(303)
      .expect('location', `/apps/${second}/webhooks`);
    agent = await login();
    await agent.get('/').expect(303).expect('location', `/apps/${second}/webhooks`);
    // Switching to an app that does not exist changes nothing.
    await agent
      .post('/apps/switch')
      .type('form')
      .send({ _csrf: await tokenOf(agent), appId: 'app_01ARZ3NDEKTSV4RRFFQ69G5FAV' })
      .expect(303)
      .expect('location', '/apps');
    await agent.get('/').expect(303).expect('location', `/apps/${second}/webhooks`);
    // The Apps page opens an app through the switcher too (a POST: no state change on GET).
    const appsPage = await agent.get('/apps').expect(200);
    expect(appsPage.text).toMatch(
      new RegExp(`<form method="post" action="/apps/switch"[^>]*>[\\s\\S]*?name="appId" value="${oldest}"`),
    );
    expect(appsPage.text).not.toContain(`href="/apps/${oldest}/webhooks">Open`);
  });
});

describe('panel webhooks', () => {
  test('when the app has no webhook, the page shows the seed texts, the empty state and no Delete All', async () => {
    const appId = await makeApp();
    const agent = await login();
    const page = await agent.get(`/apps/${appId}/webhooks`).expect(200);
    expect(page.text).toContain('<h1>Webhooks</h1>');
    expect(page.text).toContain('Send secure event notifications to external services');
    expect(page.text).toContain('No webhooks configured yet.');
    expect(page.text).not.toContain('Delete All');
    expect(page.text).toContain('id="createWebhookModal"');
    expect(page.text).toMatch(/<input[^>]*name="url"[^>]*type="url"[^>]*required/);
    expect(page.text).toContain('Ensure your endpoint can verify signatures.');
    expect(page.text).toMatch(
      /<a class="nav-link active" href="\/apps\/app_[^"]+\/webhooks"[^>]*>[\s\S]*?Webhooks/,
    );
  });

  test('when a webhook is added, a toast confirms it, its secret is shown once and the row shows URL, Default and the date', async () => {
    const appId = await makeApp();
    const agent = await login();
    await agent
      .post(`/apps/${appId}/webhooks`)
      .type('form')
      .send({ _csrf: await tokenOf(agent), url: 'https://hooks.example.com/herald', userAgent: '' })
      .expect(303)
      .expect('location', `/apps/${appId}/webhooks`);
    // While it waits for the next page, the secret sits in the session encrypted, never in clear.
    const waiting = await h.t.db
      .selectFrom('admin_sessions')
      .select('data')
      .where('admin_id', '=', h.admin.id)
      .execute();
    expect(JSON.stringify(waiting)).toContain('revealCiphertext');
    expect(JSON.stringify(waiting)).not.toContain('whsec_');
    const page = await agent.get(`/apps/${appId}/webhooks`).expect(200);
    expect(page.text).toMatch(/toast-success[\s\S]*Webhook added\./);
    const secret = /(whsec_[A-Za-z0-9+/=]+)/.exec(page.text)?.[1];
    expect(secret).toBeDefined();
    expect(page.text).toContain('https://hooks.example.com/herald');
    expect(page.text).toContain('>Default<');
    const [webhook] = (await listWebhooks(h.engine, appId)).data;
    expect(page.text).toContain(webhook!.createdAt.toISOString());
    expect(page.text).toContain('Delete All');
    expect(page.text).toContain('aria-label="Actions"');
    // Once: the next view has neither the toast nor the secret.
    const again = await agent.get(`/apps/${appId}/webhooks`).expect(200);
    expect(again.text).not.toContain('whsec_');
    expect(again.text).not.toContain('Webhook added.');
    const audit = await h.t.db
      .selectFrom('audit_log')
      .select(['action', 'actor_id'])
      .where('target_id', '=', webhook!.id)
      .execute();
    expect(audit).toEqual([{ action: 'webhook.create', actor_id: h.admin.id }]);
  });

  test.each([
    ['https://discord.com/api/webhooks/123/DiscordToken', 'discord', 'It sends Discord messages'],
    [
      'https://api.telegram.org/bot1:TelegramToken/sendMessage?chat_id=42',
      'telegram',
      'It sends Telegram messages',
    ],
    ['https://hooks.slack.com/services/T0/B0/SlackSecret', 'slack', 'It sends Slack messages'],
    ['https://hooks.example.com/discord.com/api/webhooks/1/2', 'standard', null],
  ])(
    'when %s is added from the modal, the webhook gets the format its URL suggests (%s)',
    async (url, format, note) => {
      const appId = await makeApp();
      const agent = await login();
      await agent
        .post(`/apps/${appId}/webhooks`)
        .type('form')
        .send({ _csrf: await tokenOf(agent), url })
        .expect(303);
      const [webhook] = (await listWebhooks(h.engine, appId)).data;
      expect(webhook!.format).toBe(format);
      const page = await agent.get(`/apps/${appId}/webhooks`).expect(200);
      expect(page.text).toMatch(/toast-success[\s\S]*Webhook added\./);
      if (note === null) expect(page.text).not.toContain('It sends');
      else expect(page.text).toContain(note);
    },
  );

  test('when the URL is refused by the engine, an error toast names the field and the modal reopens with the input', async () => {
    const appId = await makeApp();
    const agent = await login();
    for (const url of ['ftp://files.example.com/x', 'http://169.254.169.254/latest/meta-data', 'not a url']) {
      await agent
        .post(`/apps/${appId}/webhooks`)
        .type('form')
        .send({ _csrf: await tokenOf(agent), url })
        .expect(303);
      const page = await agent.get(`/apps/${appId}/webhooks`).expect(200);
      expect(page.text).toMatch(/toast-error[\s\S]*Endpoint URL: /);
      expect(page.text).toContain('data-open-on-load');
      expect(page.text).toContain(`value="${url}"`);
    }
    expect((await listWebhooks(h.engine, appId)).data).toEqual([]);
  });

  test('when the user agent holds markup, it is rendered as text', async () => {
    const appId = await makeApp();
    const payload = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    await createWebhook(h.engine, CLI_ACTOR, appId, {
      url: 'https://hooks.example.com/"><script>alert(3)</script>',
      userAgent: payload,
    });
    await createHeraldApp(h.t.db, CLI_ACTOR, { name: '<b>bold</b> app' });
    const agent = await login();
    const page = await agent.get(`/apps/${appId}/webhooks`).expect(200);
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).not.toContain('<img src=x');
    expect(page.text).not.toContain('<b>bold</b>');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page.text).toContain('&lt;b&gt;bold&lt;/b&gt; app');
  });

  test('when a URL carries a Discord or Telegram token, the page shows it masked', async () => {
    const appId = await makeApp();
    await createWebhook(h.engine, CLI_ACTOR, appId, {
      url: 'https://discord.com/api/webhooks/123/SuperSecretDiscordToken',
    });
    await createWebhook(h.engine, CLI_ACTOR, appId, {
      url: 'https://api.telegram.org/bot999:TelegramBotToken/sendMessage',
    });
    const agent = await login();
    const page = await agent.get(`/apps/${appId}/webhooks`).expect(200);
    expect(page.text).toContain('https://discord.com/api/webhooks/123/••••••');
    expect(page.text).toContain('https://api.telegram.org/bot••••••/sendMessage');
    expect(page.text).not.toContain('SuperSecretDiscordToken');
    expect(page.text).not.toContain('TelegramBotToken');
  });

  test('when a webhook is deleted through its form, it is gone and a toast says so', async () => {
    const appId = await makeApp();
    const webhookId = await makeWebhook(appId);
    const agent = await login();
    await agent
      .post(`/apps/${appId}/webhooks/${webhookId}/delete`)
      .type('form')
      .send({ _csrf: await tokenOf(agent) })
      .expect(303);
    const page = await agent.get(`/apps/${appId}/webhooks`).expect(200);
    expect(page.text).toContain('Webhook deleted.');
    expect(page.text).toContain('No webhooks configured yet.');
    // The same form sent again (a double click): back to the list, not a 404 page.
    await agent
      .post(`/apps/${appId}/webhooks/${webhookId}/delete`)
      .type('form')
      .send({ _csrf: await tokenOf(agent) })
      .expect(303)
      .expect('location', `/apps/${appId}/webhooks`);
    expect((await agent.get(`/apps/${appId}/webhooks`).expect(200)).text).toContain(
      'That webhook was already deleted.',
    );
    await expect(getWebhook(h.engine, appId, webhookId)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('when Delete All is posted, every webhook of this app goes and other apps keep theirs', async () => {
    const appId = await makeApp();
    const otherId = await makeApp('Other');
    await makeWebhook(appId);
    await makeWebhook(appId, 'https://two.example.com/');
    const kept = await makeWebhook(otherId);
    const agent = await login();
    await agent
      .post(`/apps/${appId}/webhooks/delete-all`)
      .type('form')
      .send({ _csrf: await tokenOf(agent) })
      .expect(303);
    const page = await agent.get(`/apps/${appId}/webhooks`).expect(200);
    expect(page.text).toContain('Deleted 2 webhooks.');
    expect((await listWebhooks(h.engine, appId)).data).toEqual([]);
    expect((await listWebhooks(h.engine, otherId)).data.map((w) => w.id)).toEqual([kept]);
  });

  test('when a webhook is paused then resumed, its state follows and the page shows a badge while paused', async () => {
    const appId = await makeApp();
    const webhookId = await makeWebhook(appId);
    const agent = await login();
    await agent
      .post(`/apps/${appId}/webhooks/${webhookId}/pause`)
      .type('form')
      .send({ _csrf: await tokenOf(agent) })
      .expect(303);
    expect((await getWebhook(h.engine, appId, webhookId)).state).toBe('paused');
    const paused = await agent.get(`/apps/${appId}/webhooks`).expect(200);
    expect(paused.text).toContain('badge-warn">Paused<');
    expect(paused.text).toContain('/resume"');
    await agent
      .post(`/apps/${appId}/webhooks/${webhookId}/resume`)
      .type('form')
      .send({ _csrf: await tokenOf(agent) })
      .expect(303);
    expect((await getWebhook(h.engine, appId, webhookId)).state).toBe('enabled');
  });

  test("when another app's webhook id is used, or an unknown app, the answer is 404 and nothing changes", async () => {
    const appId = await makeApp();
    const otherId = await makeApp('Other');
    const theirs = await makeWebhook(otherId);
    const agent = await login();
    const token = await tokenOf(agent);
    for (const action of ['delete', 'pause', 'resume']) {
      const res = await agent
        .post(`/apps/${appId}/webhooks/${theirs}/${action}`)
        .type('form')
        .send({ _csrf: token });
      expect([action, res.status]).toEqual([action, 404]);
      expect(res.text).toContain('Page not found');
    }
    expect((await getWebhook(h.engine, otherId, theirs)).state).toBe('enabled');
    await agent.get('/apps/app_01ARZ3NDEKTSV4RRFFQ69G5FAV/webhooks').expect(404);
    await agent.get('/apps/not-an-id/webhooks').expect(404);
    await agent
      .post(`/apps/${appId}/webhooks/not-an-id/delete`)
      .type('form')
      .send({ _csrf: token })
      .expect(404);
    await agent
      .post('/apps/app_01ARZ3NDEKTSV4RRFFQ69G5FAV/webhooks')
      .type('form')
      .send({ _csrf: token, url: 'https://x.example.com/' })
      .expect(404);
  });

  test('when state-changing paths are requested with GET, nothing changes', async () => {
    const appId = await makeApp();
    const webhookId = await makeWebhook(appId);
    const agent = await login();
    for (const path of [
      `/apps/${appId}/webhooks/${webhookId}/delete`,
      `/apps/${appId}/webhooks/${webhookId}/pause`,
      `/apps/${appId}/webhooks/delete-all`,
      `/apps/${appId}/webhooks?delete_id=${webhookId}`,
      `/apps/${appId}/webhooks?delete_all=1`,
      '/logout',
    ]) {
      const res = await agent.get(path);
      expect([path, res.status === 200 || res.status === 404]).toEqual([path, true]);
    }
    expect((await getWebhook(h.engine, appId, webhookId)).state).toBe('enabled');
    await agent.get('/apps').expect(200);
  });
});

describe('panel API keys', () => {
  test('when a key is created it is shown once, then listed by prefix and revocable; each step is audited', async () => {
    const appId = await makeApp();
    const agent = await login();
    await agent
      .post(`/apps/${appId}/api-keys`)
      .type('form')
      .send({ _csrf: await tokenOf(agent), name: 'backend', scope: 'full' })
      .expect(303);
    const shown = await agent.get(`/apps/${appId}/api-keys`).expect(200);
    const key = /(hk_[A-Za-z0-9_-]{20,})/.exec(shown.text)?.[1];
    expect(key).toBeDefined();
    const prefix = key!.slice(0, 15);
    const again = await agent.get(`/apps/${appId}/api-keys`).expect(200);
    expect(again.text).not.toContain(key!);
    expect(again.text).toContain(`${prefix}…`);
    const keyId = /data-key-id="(key_[0-9A-Z]+)"/.exec(again.text)![1]!;
    await agent
      .post(`/apps/${appId}/api-keys/${keyId}/revoke`)
      .type('form')
      .send({ _csrf: csrfFrom(again.text) })
      .expect(303);
    const revoked = await agent.get(`/apps/${appId}/api-keys`).expect(200);
    expect(revoked.text).toContain('API key revoked.');
    expect(revoked.text).toContain('>Revoked<');
    const actions = await h.t.db
      .selectFrom('audit_log')
      .select(['action', 'actor_id'])
      .where('target_id', '=', keyId)
      .orderBy('created_at')
      .execute();
    expect(actions).toEqual([
      { action: 'api_key.create', actor_id: h.admin.id },
      { action: 'api_key.revoke', actor_id: h.admin.id },
    ]);
  });

  test("when another app's key is revoked through this app's path, the answer is 404", async () => {
    const appId = await makeApp();
    const otherId = await makeApp('Other');
    const agent = await login();
    await agent
      .post(`/apps/${otherId}/api-keys`)
      .type('form')
      .send({ _csrf: await tokenOf(agent), name: 'theirs' })
      .expect(303);
    const page = await agent.get(`/apps/${otherId}/api-keys`).expect(200);
    const keyId = /data-key-id="(key_[0-9A-Z]+)"/.exec(page.text)![1]!;
    await agent
      .post(`/apps/${appId}/api-keys/${keyId}/revoke`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(404);
    const row = await h.t.db
      .selectFrom('api_keys')
      .select('revoked_at')
      .where('id', '=', keyId)
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).toBeNull();
  });

  test('when the key name is invalid, an error toast explains it', async () => {
    const appId = await makeApp();
    const agent = await login();
    await agent
      .post(`/apps/${appId}/api-keys`)
      .type('form')
      .send({ _csrf: await tokenOf(agent), name: 'x'.repeat(201) })
      .expect(303);
    const page = await agent.get(`/apps/${appId}/api-keys`).expect(200);
    expect(page.text).toMatch(/toast-error[\s\S]*Name: must be at most 200 characters/);
  });
});

describe('panel errors and boundaries', () => {
  test('when a signed-in admin opens an unknown page, a 404 page says so without internals', async () => {
    const agent = await login();
    const res = await agent.get('/definitely/not/here').expect(404);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('Page not found');
    expect(res.text).not.toMatch(/Error:|at .*\.ts|stack/i);
  });

  test('when the API is asked for an unknown route, the panel stays out of the way (JSON, no session cookie)', async () => {
    const res = await request(h.app).get('/api/v1/definitely-not-a-route');
    expect(res.headers['content-type']).toMatch(/json/);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['content-security-policy']).toBeUndefined();
  });

  test('when static files are requested, they are served without a session', async () => {
    const css = await request(h.app).get('/static/css/panel.css').expect(200);
    expect(css.headers['content-type']).toMatch(/text\/css/);
    expect(css.headers['set-cookie']).toBeUndefined();
    await request(h.app)
      .get('/static/js/panel.js')
      .expect(200)
      .expect('content-type', /javascript/);
  });

  test('when a page fails unexpectedly, the 500 page leaks nothing', async () => {
    const appId = await makeApp();
    const agent = await login();
    const token = await tokenOf(agent);
    // An engine failure the panel does not expect: the webhooks table is gone for a moment.
    await h.t.db.schema.alterTable('webhooks').renameTo('webhooks_away').execute();
    try {
      const res = await agent
        .post(`/apps/${appId}/webhooks`)
        .type('form')
        .send({ _csrf: token, url: 'https://x.example.com/' })
        .expect(500);
      expect(res.text).toContain('Something went wrong');
      expect(res.text).not.toMatch(/relation|webhooks_away|postgres|stack|\.ts/i);
    } finally {
      await h.t.db.schema.alterTable('webhooks_away').renameTo('webhooks').execute();
    }
  });
});

describe('panel session cookie in production', () => {
  const proxied: { h?: PanelHarness } = {};
  afterEach(async () => {
    await proxied.h?.close();
    delete proxied.h;
  });

  test('when NODE_ENV=production and the panel is reached over plain http, signing in still works', async () => {
    const ph = (proxied.h = await startPanelHarness({ nodeEnv: 'production' }));
    const agent = request.agent(ph.app);
    const page = await agent.get('/login').expect(200);
    const cookie = (page.headers['set-cookie'] as unknown as string[] | undefined)?.join(';') ?? '';
    expect(cookie).toMatch(/herald_sid=/);
    expect(cookie).not.toMatch(/Secure/);
    await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
      .expect(303)
      .expect('location', '/');
    await agent.get('/apps').expect(200);
  });

  test('when behind a trusted TLS proxy (HERALD_TRUST_PROXY), the cookie is Secure', async () => {
    const ph = (proxied.h = await startPanelHarness({ nodeEnv: 'production', trustProxy: true }));
    const res = await request(ph.app).get('/login').set('X-Forwarded-Proto', 'https').expect(200);
    expect((res.headers['set-cookie'] as unknown as string[]).join(';')).toMatch(/herald_sid=.*Secure/);
  });
});
