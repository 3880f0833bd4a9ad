// Shared by the panel's integration and browser tests (not a test itself).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import type { Express } from 'express';
import request from 'supertest';
import {
  CLI_ACTOR,
  createAdminUser,
  createApp as createHeraldApp,
  createEngine,
  createWebhook,
  createSharedState,
  type AdminUser,
  type Engine,
} from '@herald/engine';
import { createLogger } from '@herald/logger';
import { createKeyring } from '@herald/signing';
import { createTestDatabase, createTestQueue, type TestDatabase, type TestQueue } from '@herald/testkit';
import { createApp } from '../app.js';
import type { AdminSettings } from '../settings.js';

export const ADMIN_EMAIL = 'ops@example.com';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface PanelHarness {
  t: TestDatabase;
  /** The queue backend under test (HERALD_TEST_QUEUE_BACKEND); login counters live beside it. */
  queue: TestQueue;
  engine: Engine;
  app: Express;
  admin: AdminUser;
  /** The HERALD_SECRET_KEY the engine's keyring uses (a worker process needs the same). */
  secretKey: Buffer;
  close(): Promise<void>;
}

export async function startPanelHarness(overrides: Partial<AdminSettings> = {}): Promise<PanelHarness> {
  const t = await createTestDatabase();
  const queue = createTestQueue(t.url);
  const secretKey = randomBytes(32);
  const engine = createEngine({
    db: t.db,
    queue: queue.backend,
    shared: createSharedState(queue),
    keyring: createKeyring(secretKey, []),
    allowPrivateNetworks: true,
    // Every name "resolves" to a public address: no DNS in tests.
    resolveHost: () => Promise.resolve(['93.184.215.14']),
  });
  const settings: AdminSettings = {
    nodeEnv: 'test',
    apiRateLimitPerSecond: 100,
    apiMaxBodyBytes: 256 * 1024,
    apiMaxBatchBytes: 16 * 1024 * 1024,
    metricsToken: undefined,
    ...overrides,
  };
  const log = createLogger({ name: 'test', level: 'silent' });
  const app = createApp({ log, checks: {}, isDraining: () => false, engine, settings });
  const admin = await createAdminUser(t.db, CLI_ACTOR, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  return {
    t,
    queue,
    engine,
    app,
    admin,
    secretKey,
    async close() {
      await engine.close();
      await queue.close();
      await t.drop();
    },
  };
}

/**
 * One harness for a test file, set up with the usual hooks: started before
 * all tests, closed after them, `resetPanel` (then `reset`, if given) before
 * each. The object returned is filled in by the beforeAll hook, so use it
 * inside tests and hooks only.
 */
export function usePanelSuite(options: { reset?: (h: PanelHarness) => Promise<void> } = {}): PanelHarness {
  const h = {} as PanelHarness;
  beforeAll(async () => {
    Object.assign(h, await startPanelHarness());
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(async () => {
    await resetPanel(h);
    await options.reset?.(h);
  });
  return h;
}

/** An app with one webhook (default: app "Shop", https://hooks.example.com/h, standard format). */
export async function addAppWithWebhook(
  h: PanelHarness,
  options: { appName?: string; url?: string; format?: string } = {},
): Promise<{ appId: string; webhookId: string; secret: string }> {
  const appId = (await createHeraldApp(h.t.db, CLI_ACTOR, { name: options.appName ?? 'Shop' })).id;
  const created = await createWebhook(h.engine, CLI_ACTOR, appId, {
    url: options.url ?? 'https://hooks.example.com/h',
    ...(options.format ? { format: options.format } : {}),
  });
  return { appId, webhookId: created.webhook.id, secret: created.secret };
}

/** The CSRF token a rendered page carries. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no CSRF token on the page');
  return match[1];
}

export type Agent = ReturnType<typeof request.agent>;

/** Between tests: no apps (cascades to webhooks and keys), no sessions, no login throttling. */
export async function resetPanel(h: PanelHarness): Promise<void> {
  await h.t.db.deleteFrom('apps').execute();
  await h.t.db.deleteFrom('admin_sessions').execute();
  await clearLoginCounters(h);
}

/**
 * Back to the first admin alone, with `passwordHash` (its first password),
 * and an empty audit log: for tests that add admins or change passwords.
 */
export async function restoreFirstAdmin(h: PanelHarness, passwordHash: string): Promise<void> {
  await h.t.db.deleteFrom('admin_users').where('id', '<>', h.admin.id).execute();
  await h.t.db
    .updateTable('admin_users')
    .set({ password_hash: passwordHash })
    .where('id', '=', h.admin.id)
    .execute();
  await h.t.db.deleteFrom('audit_log').execute();
}

/** The ms each login-attempt counter (one per IP and email) has left in its window. */
export async function loginCounterTtls(h: PanelHarness): Promise<number[]> {
  const q = h.queue;
  if (q.kind === 'redis') {
    const keys = await q.redis.keys(`${q.prefix}:login:*`);
    return Promise.all(keys.map((key) => q.redis.pttl(key)));
  }
  const { rows } = await q.pool.query<{ ttl: string }>(
    `select expires_at - floor(extract(epoch from clock_timestamp()) * 1000)::bigint as ttl
       from throttles where key like 'login:%'`,
  );
  return rows.map((r) => Number(r.ttl));
}

export async function clearLoginCounters(h: PanelHarness): Promise<void> {
  const q = h.queue;
  if (q.kind === 'redis') await q.redis.del(...(await q.redis.keys(`${q.prefix}:login:*`)), 'unused');
  else await q.pool.query(`delete from throttles where key like 'login:%'`);
}

/** Signs `agent` in through the login form (CSRF token included); the first admin unless told otherwise. */
export async function signInAgent(
  h: PanelHarness,
  agent: Agent = request.agent(h.app),
  password = ADMIN_PASSWORD,
  email = ADMIN_EMAIL,
): Promise<Agent> {
  const page = await agent.get('/login').expect(200);
  await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password })
    .expect(303)
    .expect('location', '/');
  return agent;
}

/** The CSRF token of a signed-in agent (read from a panel page). */
export async function tokenOf(agent: Agent): Promise<string> {
  return csrfFrom((await agent.get('/apps').expect(200)).text);
}
