import request from 'supertest';
import { newId } from '@herald/core';
import {
  CLI_ACTOR,
  createApp as createHeraldApp,
  createWebhook,
  findAdminByEmail,
  verifyPassword,
} from '@herald/engine';
import { seedDelivery } from './delivery-fixtures.js';
import { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS } from './session.js';
import { PostgresSessionStore } from './session-store.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  csrfFrom,
  signInAgent,
  restoreFirstAdmin,
  usePanelSuite,
  tokenOf,
  type Agent,
} from './panel-test-harness.js';

let originalHash: string;
// Besides the usual reset: only the first admin, with its first password, and no audit rows.
const h = usePanelSuite({
  reset: async (h) => {
    originalHash ??= (await findAdminByEmail(h.t.db, ADMIN_EMAIL))!.passwordHash;
    await restoreFirstAdmin(h, originalHash);
  },
});

const login = (agent?: Agent, password?: string): Promise<Agent> => signInAgent(h, agent, password);

/** A second admin, b@example.com, added through the panel by `agent`. */
async function addAdminB(agent: Agent, token: string) {
  await agent
    .post('/admins')
    .type('form')
    .send({ _csrf: token, email: 'b@example.com', password: 'another long password' });
  return (await findAdminByEmail(h.t.db, 'b@example.com'))!;
}

async function makeApp(name = 'Shop'): Promise<string> {
  return (await createHeraldApp(h.t.db, CLI_ACTOR, { name })).id;
}

async function makeWebhook(appId: string, url = 'https://hooks.example.com/herald'): Promise<string> {
  return (await createWebhook(h.engine, CLI_ACTOR, appId, { url })).webhook.id;
}

async function insertEvent(
  appId: string,
  type: string,
  atMs: number,
  data: object = { n: 1 },
): Promise<string> {
  const id = newId('event', atMs);
  await h.t.db
    .insertInto('events')
    .values({ id, app_id: appId, type, payload: JSON.stringify(data), created_at: new Date(atMs) })
    .execute();
  return id;
}

async function auditActions(): Promise<string[]> {
  const rows = await h.t.db.selectFrom('audit_log').select('action').orderBy('id').execute();
  return rows.map((r) => r.action);
}

const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);

/** A short test title for a bad-input case (some inputs are thousands of characters). */
function labelled(pair: readonly unknown[]): [string, Record<string, string>, string] {
  const [input, message] = pair as [Record<string, string>, string];
  const text = JSON.stringify(input);
  return [text.length > 80 ? `${text.slice(0, 77)}…` : text, input, message];
}

describe('new panel pages: sign-in and CSRF', () => {
  test('when nobody is signed in, every new page redirects to /login', async () => {
    const appId = await makeApp();
    for (const path of [
      `/apps/${appId}/events`,
      `/apps/${appId}/events/${newId('event')}`,
      `/apps/${appId}/event-types`,
      '/audit',
      '/admins',
      '/account',
      '/queues',
      '/queues/api/queues',
    ]) {
      await request(h.app).get(path).expect(303).expect('location', '/login');
    }
  });

  test('when a new POST comes without a valid CSRF token, it is refused with 403 and nothing changes', async () => {
    const agent = await login();
    const before = await h.t.db.selectFrom('admin_users').select(['id', 'password_hash']).execute();
    const other = newId('admin');
    for (const [path, body] of [
      ['/admins', { email: 'new@example.com', password: 'a long enough password' }],
      [`/admins/${h.admin.id}/delete`, {}],
      [`/admins/${other}/delete`, {}],
      [
        '/account/password',
        { currentPassword: ADMIN_PASSWORD, newPassword: 'x'.repeat(20), confirmPassword: 'x'.repeat(20) },
      ],
    ] as const) {
      await agent.post(path).type('form').send(body).expect(403);
      await agent
        .post(path)
        .type('form')
        .send({ ...body, _csrf: 'forged' })
        .expect(403);
    }
    expect(await h.t.db.selectFrom('admin_users').select(['id', 'password_hash']).execute()).toEqual(before);
    expect(await auditActions()).toEqual(['admin.login']);
  });
});

describe('events page', () => {
  test('when events are listed, only this app\u2019s come, newest first, paged with an "Older" link', async () => {
    const agent = await login();
    const appId = await makeApp();
    const otherApp = await makeApp('Other');
    const ids: string[] = [];
    for (let i = 0; i < 55; i++)
      ids.push(await insertEvent(appId, i % 2 ? 'user.register' : 'payment.failed', T0 + i));
    const foreign = await insertEvent(otherApp, 'user.register', T0 + 100);
    const first = await agent.get(`/apps/${appId}/events`).expect(200);
    const shown = [...first.text.matchAll(/data-event-id="(msg_[0-9A-Z]{26})"/g)].map((m) => m[1]);
    expect(shown).toEqual([...ids].reverse().slice(0, 50));
    expect(first.text).not.toContain(foreign);
    const next = /href="([^"]+)" rel="next"/.exec(first.text)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toBeDefined();
    const second = await agent.get(next!).expect(200);
    const shown2 = [...second.text.matchAll(/data-event-id="(msg_[0-9A-Z]{26})"/g)].map((m) => m[1]);
    expect(shown2).toEqual([...ids].reverse().slice(50));
    expect(second.text).not.toContain('rel="next"');
  });

  test('when searched by type and time range, only matching events show', async () => {
    const agent = await login();
    const appId = await makeApp();
    await insertEvent(appId, 'payment.failed', T0 - 60_000);
    const hit = await insertEvent(appId, 'payment.failed', T0 + 30_000);
    await insertEvent(appId, 'payment.success', T0 + 30_000);
    await insertEvent(appId, 'payment.failed', T0 + 120_000);
    const res = await agent
      .get(`/apps/${appId}/events`)
      .query({ type: 'payment.failed', since: '2026-11-20T09:00', until: '2026-11-20T09:01' })
      .expect(200);
    expect([...res.text.matchAll(/data-event-id="(msg_[0-9A-Z]{26})"/g)].map((m) => m[1])).toEqual([hit]);
    const none = await agent.get(`/apps/${appId}/events`).query({ type: 'nothing.here' }).expect(200);
    expect(none.text).toContain('No events match this search.');
  });

  test('when found by id, the event page shows its payload (escaped) and where it went, with links to each delivery', async () => {
    const agent = await login();
    const appId = await makeApp();
    const discord = await makeWebhook(appId, 'https://discord.com/api/webhooks/123/SECRET-TOKEN-abc');
    const plain = await makeWebhook(appId, 'https://hooks.example.com/a?token=qs-secret');
    const eventId = await insertEvent(appId, 'auth.login.failed', T0, {
      user: '<script>alert(1)</script>',
      ip: '203.0.113.9',
    });
    const dlv1 = newId('delivery');
    const dlv2 = newId('delivery');
    await h.t.db
      .insertInto('deliveries')
      .values([
        {
          id: dlv1,
          event_id: eventId,
          webhook_id: discord,
          app_id: appId,
          status: 'succeeded',
          attempts: 1,
          last_status_code: 204,
        },
        {
          id: dlv2,
          event_id: eventId,
          webhook_id: plain,
          app_id: appId,
          status: 'dead',
          attempts: 8,
          last_status_code: 500,
        },
      ])
      .execute();
    await agent
      .get(`/apps/${appId}/events`)
      .query({ id: eventId })
      .expect(303)
      .expect('location', `/apps/${appId}/events/${eventId}`);
    const page = await agent.get(`/apps/${appId}/events/${eventId}`).expect(200);
    expect(page.text).toContain('auth.login.failed');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('<script>alert(1)');
    expect(page.text).toContain(`href="/apps/${appId}/deliveries/${dlv1}"`);
    expect(page.text).toContain(`href="/apps/${appId}/deliveries/${dlv2}"`);
    expect(page.text).not.toContain('SECRET-TOKEN');
    expect(page.text).not.toContain('qs-secret');
    expect(page.text).toMatch(/Dead letter/);
    expect(page.text).toContain('>8<');
    // The catalog's description of the type shows beside it.
    expect(page.text).toContain('Repeats from one IP suggest brute force');
  });

  test('when the id belongs to another app, or to nobody, the answer is 404 and reveals nothing', async () => {
    const agent = await login();
    const appId = await makeApp();
    const otherApp = await makeApp('Other');
    const foreign = await insertEvent(otherApp, 'user.register', T0, { secret: 'other-app-data' });
    const search = await agent.get(`/apps/${appId}/events`).query({ id: foreign }).expect(404);
    expect(search.text).toContain(`No event ${foreign} in Shop`);
    const detail = await agent.get(`/apps/${appId}/events/${foreign}`).expect(404);
    expect(detail.text).not.toContain('other-app-data');
    await agent.get(`/apps/${appId}/events/not-an-id`).expect(404);
    await agent.get(`/apps/app_00000000000000000000000000/events`).expect(404);
  });

  test.each(
    [
      [{ id: 'msg_short' }, 'event ids look like msg_'],
      [{ id: 'x'.repeat(65) }, 'Event ID: too long'],
      [{ since: '2026-02-31T10:00' }, 'From: enter a date and time'],
      [{ since: 'yesterday' }, 'From: enter a date and time'],
      [{ until: '2026-13-01T00:00' }, 'To: enter a date and time'],
      [{ since: '2026-11-20T10:00', until: '2026-11-20T09:00' }, 'To: must be after From'],
      [{ type: 'bad type<b>' }, 'Event type: use letters'],
      [{ type: 'x'.repeat(10_000) }, 'Event type: use letters'],
      [{ cursor: 'garbage' }, 'That page link is not valid'],
      [{ cursor: `1.${newId('event')}x` }, 'That page link is not valid'],
    ].map(labelled),
  )('when the search is %s, the page answers 400 with a clear message', async (_label, query, message) => {
    const agent = await login();
    const appId = await makeApp();
    const res = await agent.get(`/apps/${appId}/events`).query(query).expect(400);
    expect(res.text).toContain(message);
    expect(res.text).not.toContain('<b>');
  });

  test('when a parameter is repeated or nested, or the URL is huge, it is refused, not half-read', async () => {
    const agent = await login();
    const appId = await makeApp();
    await agent.get(`/apps/${appId}/events?id=a&id=b`).expect(400);
    await agent.get(`/apps/${appId}/events?since=2026-11-20T09:00&since=2026-11-20T10:00`).expect(400);
    const huge = await agent.get(`/apps/${appId}/events?type=${'a'.repeat(40_000)}`);
    expect([400, 414, 431]).toContain(huge.status);
    expect(huge.text).not.toContain('a'.repeat(1000));
  });
});

describe('event types page', () => {
  test('when shown, it lists every catalog type with description and example, then the other published types', async () => {
    const agent = await login();
    const appId = await makeApp();
    await insertEvent(appId, 'payment.success', T0);
    await insertEvent(appId, 'order.shipped', T0);
    await insertEvent(appId, 'order.shipped', T0 + 1);
    const res = await agent.get(`/apps/${appId}/event-types`).expect(200);
    for (const type of [
      'auth.login.success',
      'auth.login.failed',
      'user.register',
      'license.redeem',
      'license.expired',
      'hwid.mismatch',
      'hwid.reset',
      'blacklist.added',
      'whitelist.added',
      'payment.success',
      'payment.failed',
    ]) {
      expect(res.text).toContain(`data-event-type="${type}"`);
    }
    expect(res.text).toContain('A payment went through');
    expect(res.text).toContain('&#34;orderId&#34;: &#34;ord_1001&#34;');
    expect(res.text.match(/Published here/g)).toHaveLength(1);
    expect(res.text).toContain(`href="/apps/${appId}/events?type=order.shipped"`);
    expect(res.text.match(/data-event-type="order.shipped"/g)).toHaveLength(1);
  });
});

describe('audit log page', () => {
  test('when staff act through the panel, every state change writes an audit row with who and from where', async () => {
    const agent = await login();
    const token = await tokenOf(agent);
    const appId = await makeApp();
    const send = (path: string, body: Record<string, string> = {}) =>
      agent
        .post(path)
        .type('form')
        .send({ _csrf: token, ...body })
        .expect(303);
    await send('/apps', { name: 'Second' });
    await send('/apps/switch', { appId });
    await send(`/apps/${appId}/webhooks`, { url: 'https://hooks.example.com/one' });
    const webhookId = (await h.t.db.selectFrom('webhooks').select('id').executeTakeFirstOrThrow()).id;
    await send(`/apps/${appId}/webhooks/${webhookId}/pause`);
    await send(`/apps/${appId}/webhooks/${webhookId}/resume`);
    await send(`/apps/${appId}/webhooks/${webhookId}`, {
      url: 'https://hooks.example.com/two',
      format: 'standard',
    });
    await send(`/apps/${appId}/webhooks/${webhookId}/rotate-secret`, { graceHours: '1' });
    await send(`/apps/${appId}/webhooks/${webhookId}/reveal-secret`, { password: ADMIN_PASSWORD });
    const { deliveryId } = await seedDelivery(h.engine, { appId, webhookId, status: 'dead' });
    await send(`/apps/${appId}/deliveries/${deliveryId}/retry`);
    await send(`/apps/${appId}/webhooks/${webhookId}/replay`, { since: '2026-01-01T00:00', onlyDead: '1' });
    await send(`/apps/${appId}/webhooks/${webhookId}/delete`);
    await send(`/apps/${appId}/webhooks`, { url: 'https://hooks.example.com/three' });
    await send(`/apps/${appId}/webhooks/delete-all`);
    await send(`/apps/${appId}/api-keys`, { name: 'ci', scope: 'ingest' });
    const keyId = (await h.t.db.selectFrom('api_keys').select('id').executeTakeFirstOrThrow()).id;
    await send(`/apps/${appId}/api-keys/${keyId}/revoke`);
    await send('/admins', { email: 'second@example.com', password: 'another long password' });
    const second = (await findAdminByEmail(h.t.db, 'second@example.com'))!;
    await send(`/admins/${second.id}/delete`);
    await send('/account/password', {
      currentPassword: ADMIN_PASSWORD,
      newPassword: 'the new long password',
      confirmPassword: 'the new long password',
    });
    await send('/logout');

    const actions = await auditActions();
    for (const action of [
      'admin.login',
      'app.create',
      'app.switch',
      'webhook.create',
      'webhook.pause',
      'webhook.resume',
      'webhook.update',
      'webhook.rotate_secret',
      'webhook.reveal_secret',
      'delivery.retry',
      'webhook.replay',
      'webhook.delete',
      'webhook.delete_all',
      'api_key.create',
      'api_key.revoke',
      'admin.create',
      'admin.delete',
      'admin.password_change',
      'admin.logout',
    ]) {
      expect(actions).toContain(action);
    }
    const rows = await h.t.db.selectFrom('audit_log').selectAll().execute();
    // Only the test's own fixture (makeApp) acted as the CLI.
    expect(rows.filter((r) => r.actor_type === 'cli').map((r) => r.action)).toEqual(['app.create']);
    for (const row of rows.filter((r) => r.actor_type !== 'cli')) {
      expect(row).toMatchObject({ actor_type: 'admin', actor_id: h.admin.id, actor_label: ADMIN_EMAIL });
      expect(row.ip).toMatch(/127\.0\.0\.1|::1/);
    }
    // No secret, key or password in any row.
    const text = JSON.stringify(rows);
    expect(text).not.toMatch(/whsec_|hk_[A-Za-z0-9_-]{20}|another long password|the new long password/);
  });

  test('when the log is shown, it pages newest first and filters by action and by admin', async () => {
    const agent = await login();
    const token = await tokenOf(agent);
    const b = await addAdminB(agent, token);
    for (let i = 0; i < 60; i++) {
      await agent
        .post('/apps')
        .type('form')
        .send({ _csrf: token, name: `App ${i}` })
        .expect(303);
    }
    await signInAgent(h, request.agent(h.app), 'another long password', 'b@example.com');

    const first = await agent.get('/audit').expect(200);
    const rowsOnFirst = first.text.match(/data-audit-id=/g) ?? [];
    expect(rowsOnFirst).toHaveLength(50);
    const firstActions = [...first.text.matchAll(/data-action="([^"]+)"/g)].map((m) => m[1]);
    expect(firstActions.slice(0, 2)).toEqual(['admin.login', 'app.create']);
    const next = /href="([^"]+)" rel="next"/.exec(first.text)?.[1]?.replaceAll('&amp;', '&');
    const second = await agent.get(next!).expect(200);
    expect(second.text).toContain('data-action="admin.create"');

    const onlyCreates = await agent.get('/audit').query({ action: 'app.create' }).expect(200);
    expect([...onlyCreates.text.matchAll(/data-action="([^"]+)"/g)].every((m) => m[1] === 'app.create')).toBe(
      true,
    );
    const byB = await agent.get('/audit').query({ admin: b.id }).expect(200);
    const bActions = [...byB.text.matchAll(/data-action="([^"]+)"/g)].map((m) => m[1]);
    expect(bActions).toEqual(['admin.login']);
    expect(byB.text).toContain('127.0.0.1');
  });

  test.each(
    [
      [{ action: 'DROP TABLE audit_log' }, 'Action: choose one'],
      [{ action: 'a'.repeat(5000) }, 'Action: choose one'],
      [{ admin: "adm_' or '1'='1" }, 'Admin: choose one'],
      [{ admin: 'app_01JD0000000000000000000000' }, 'Admin: choose one'],
      [{ cursor: 'aud_nope' }, 'That page link is not valid'],
    ].map(labelled),
  )('when the filter is %s, the page answers 400 and shows nothing', async (_label, query, message) => {
    const agent = await login();
    const res = await agent.get('/audit').query(query).expect(400);
    expect(res.text).toContain(message);
    expect(res.text).not.toContain('data-audit-id=');
  });
});

describe('admins page', () => {
  test('when an admin is added, they appear in the list and can sign in', async () => {
    const agent = await login();
    const token = await tokenOf(agent);
    await agent
      .post('/admins')
      .type('form')
      .send({ _csrf: token, email: 'new@example.com', password: 'a long enough password' })
      .expect(303);
    const page = await agent.get('/admins').expect(200);
    expect(page.text).toContain('Admin new@example.com added.');
    expect(page.text).toContain('new@example.com');
    expect(page.text).toContain(ADMIN_EMAIL);
    const created = (await findAdminByEmail(h.t.db, 'new@example.com'))!;
    expect(created.passwordHash).toMatch(/^\$argon2id\$/);
    await signInAgent(h, request.agent(h.app), 'a long enough password', 'new@example.com');
  });

  test.each(
    [
      [{ email: 'not-an-email', password: 'a long enough password' }, 'Email: must be an email address'],
      [{ email: 'x@example.com', password: 'short' }, 'Password: must be 12'],
      [{ email: ADMIN_EMAIL.toUpperCase(), password: 'a long enough password' }, 'already exists'],
      [
        { email: `${'a'.repeat(400)}@example.com`, password: 'a long enough password' },
        'Email: must be an email address',
      ],
    ].map(labelled),
  )(
    'when the new admin is %s, it is refused with a message and nobody is added',
    async (_label, body, message) => {
      const agent = await login();
      const token = await tokenOf(agent);
      await agent
        .post('/admins')
        .type('form')
        .send({ _csrf: token, ...body })
        .expect(303)
        .expect('location', '/admins');
      const page = await agent.get('/admins').expect(200);
      expect(page.text).toContain(message);
      expect(await h.t.db.selectFrom('admin_users').select('id').execute()).toHaveLength(1);
    },
  );

  test('when another admin is removed, their sessions end at once; yourself and the last admin cannot be removed', async () => {
    const agent = await login();
    const token = await tokenOf(agent);
    const b = await addAdminB(agent, token);
    const bAgent = await signInAgent(h, request.agent(h.app), 'another long password', 'b@example.com');
    await bAgent.get('/admins').expect(200);

    await agent.post(`/admins/${h.admin.id}/delete`).type('form').send({ _csrf: token }).expect(303);
    expect((await agent.get('/admins')).text).toContain('you cannot remove yourself');

    await agent.post(`/admins/${b.id}/delete`).type('form').send({ _csrf: token }).expect(303);
    expect((await agent.get('/admins')).text).toContain('Admin b@example.com removed');
    await bAgent.get('/admins').expect(303).expect('location', '/login');
    expect(await findAdminByEmail(h.t.db, 'b@example.com')).toBeUndefined();

    // Alone now: the page offers no Remove button and the POST is refused anyway.
    const alone = await agent.get('/admins').expect(200);
    expect(alone.text).not.toContain('/delete"');
    await agent.post(`/admins/${h.admin.id}/delete`).type('form').send({ _csrf: token }).expect(303);
    expect(await h.t.db.selectFrom('admin_users').select('id').execute()).toHaveLength(1);
  });

  test('when the admin id is malformed or unknown, the answer is 404', async () => {
    const agent = await login();
    const token = await tokenOf(agent);
    await agent.post('/admins/not-an-id/delete').type('form').send({ _csrf: token }).expect(404);
    await agent
      .post(`/admins/${newId('admin')}/delete`)
      .type('form')
      .send({ _csrf: token })
      .expect(404);
  });
});

describe('change my password', () => {
  const NEW = 'a fresh long passphrase';

  async function otherSession(): Promise<Agent> {
    return login(request.agent(h.app));
  }

  test('when the password is changed, other sessions end, this one stays, and only the new password signs in', async () => {
    const agent = await login();
    const elsewhere = await otherSession();
    const token = await tokenOf(agent);
    await agent
      .post('/account/password')
      .type('form')
      .send({ _csrf: token, currentPassword: ADMIN_PASSWORD, newPassword: NEW, confirmPassword: NEW })
      .expect(303)
      .expect('location', '/account');
    const page = await agent.get('/account').expect(200);
    expect(page.text).toContain('Password changed. 1 other session was signed out.');
    await elsewhere.get('/apps').expect(303).expect('location', '/login');
    const hash = (await findAdminByEmail(h.t.db, ADMIN_EMAIL))!.passwordHash;
    expect(await verifyPassword(hash, NEW)).toBe(true);
    const fresh = request.agent(h.app);
    const loginPage = await fresh.get('/login');
    await fresh
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(loginPage.text), email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
      .expect(401);
  });

  test('when a request of a session the change ended saves that session afterwards, it stays ended', async () => {
    const agent = await login();
    const elsewhere = await otherSession();
    await elsewhere.get('/apps').expect(200);
    // What that session's request read when it began, before the change.
    const [row] = await h.t.db
      .selectFrom('admin_sessions')
      .select(['sid', 'data'])
      .where('admin_id', 'is not', null)
      .orderBy('created_at', 'desc')
      .limit(1)
      .execute();
    const token = await tokenOf(agent);
    await agent
      .post('/account/password')
      .type('form')
      .send({ _csrf: token, currentPassword: ADMIN_PASSWORD, newPassword: NEW, confirmPassword: NEW })
      .expect(303);
    // Its save on the way out (every POST sets a flash), from this process or another.
    const store = new PostgresSessionStore(h.t.db, {
      idleMs: IDLE_TIMEOUT_MS,
      absoluteMs: ABSOLUTE_TIMEOUT_MS,
    });
    await new Promise<void>((resolve, reject) =>
      store.set(row!.sid, row!.data as never, (error) =>
        error ? reject(error instanceof Error ? error : new Error('session save failed')) : resolve(),
      ),
    );
    expect(
      await h.t.db.selectFrom('admin_sessions').select('sid').where('sid', '=', row!.sid).execute(),
    ).toEqual([]);
    await elsewhere.get('/apps').expect(303).expect('location', '/login');
    await agent.get('/account').expect(200);
  });

  test.each(
    [
      [
        { currentPassword: 'wrong password!!', newPassword: NEW, confirmPassword: NEW },
        'Current password: is not your current password',
      ],
      [
        { currentPassword: '', newPassword: NEW, confirmPassword: NEW },
        'Current password: is not your current password',
      ],
      [
        { currentPassword: ADMIN_PASSWORD, newPassword: NEW, confirmPassword: `${NEW}x` },
        'the two entries do not match',
      ],
      [
        { currentPassword: ADMIN_PASSWORD, newPassword: 'short', confirmPassword: 'short' },
        'New password: must be 12',
      ],
      [
        { currentPassword: ADMIN_PASSWORD, newPassword: ADMIN_PASSWORD, confirmPassword: ADMIN_PASSWORD },
        'must differ',
      ],
      [
        { currentPassword: 'x'.repeat(5000), newPassword: NEW, confirmPassword: NEW },
        'Current password: is not your current password',
      ],
    ].map(labelled),
  )(
    'when the form is %s, it is refused with a message and nothing changes',
    async (_label, body, message) => {
      const agent = await login();
      const elsewhere = await otherSession();
      const token = await tokenOf(agent);
      await agent
        .post('/account/password')
        .type('form')
        .send({ _csrf: token, ...body })
        .expect(303);
      const page = await agent.get('/account').expect(200);
      expect(page.text).toContain(message);
      expect((await findAdminByEmail(h.t.db, ADMIN_EMAIL))!.passwordHash).toBe(originalHash);
      await elsewhere.get('/apps').expect(200);
    },
  );

  test('when the current password is guessed too often, further attempts are throttled', async () => {
    const agent = await login();
    const token = await tokenOf(agent);
    for (let i = 0; i < 5; i++) {
      await agent
        .post('/account/password')
        .type('form')
        .send({ _csrf: token, currentPassword: `guess number ${i}`, newPassword: NEW, confirmPassword: NEW });
    }
    await agent
      .post('/account/password')
      .type('form')
      .send({ _csrf: token, currentPassword: ADMIN_PASSWORD, newPassword: NEW, confirmPassword: NEW })
      .expect(303);
    expect((await agent.get('/account')).text).toContain('Too many attempts');
    expect((await findAdminByEmail(h.t.db, ADMIN_EMAIL))!.passwordHash).toBe(originalHash);
  });
});

describe('queue dashboard', () => {
  test('when signed in, bull-board shows the three queues, read-only, under a CSP that still allows no inline script', async () => {
    const agent = await login();
    const page = await agent.get('/queues').expect(200);
    expect(page.text).toContain('<base href="/queues/"');
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("base-uri 'self'");
    expect(/script-src ([^;]*)/.exec(csp)?.[1]).toBe("'self'");
    const api = await agent
      .get('/queues/api/queues')
      .query({ activeQueue: '', page: '1', jobsPerPage: '10' })
      .expect(200);
    const body = api.body as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['{deliveries}', '{events}', '{maintenance}']);
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
  });

  test('when anything tries to change a queue, it is refused: 403 without the token, refused by read-only mode with it', async () => {
    const agent = await login();
    const token = await tokenOf(agent);
    await h.engine.queues.maintenance.add('probe', {}, { jobId: 'probe-1', delay: 60_000 });
    const name = encodeURIComponent('{maintenance}');
    await agent.put(`/queues/api/queues/${name}/clean/delayed`).expect(403);
    await agent.put(`/queues/api/queues/${name}/pause`).expect(403);
    const withToken = await agent.put(`/queues/api/queues/${name}/clean/delayed`).set('x-csrf-token', token);
    expect(withToken.status).toBe(405);
    expect(withToken.text).toContain('QUEUE_READ_ONLY');
    await agent.put(`/queues/api/queues/${name}/pause`).set('x-csrf-token', token).expect(405);
    await agent
      .put(`/queues/api/queues/${name}/${encodeURIComponent('probe-1')}/promote`)
      .set('x-csrf-token', token)
      .expect(405);
    expect(await h.engine.queues.maintenance.getJob('probe-1')).toBeDefined();
    expect(await h.engine.queues.maintenance.isPaused()).toBe(false);
  });
});
