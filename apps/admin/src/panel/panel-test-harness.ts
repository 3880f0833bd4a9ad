// Shared by the panel's integration and browser tests (not a test itself).
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { CLI_ACTOR, createAdminUser, createEngine, type AdminUser, type Engine } from '@herald/engine';
import { createLogger } from '@herald/logger';
import { createKeyring } from '@herald/signing';
import {
  createTestDatabase,
  createTestRedis,
  deleteKeysWithPrefix,
  uniquePrefix,
  type TestDatabase,
} from '@herald/testkit';
import { createApp } from '../app.js';
import type { AdminSettings } from '../settings.js';

export const ADMIN_EMAIL = 'ops@example.com';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface PanelHarness {
  t: TestDatabase;
  redis: ReturnType<typeof createTestRedis>;
  engine: Engine;
  app: Express;
  admin: AdminUser;
  /** The HERALD_SECRET_KEY the engine's keyring uses (a worker process needs the same). */
  secretKey: Buffer;
  close(): Promise<void>;
}

export async function startPanelHarness(): Promise<PanelHarness> {
  const t = await createTestDatabase();
  const redis = createTestRedis();
  const queuePrefix = uniquePrefix();
  const secretKey = randomBytes(32);
  const engine = createEngine({
    db: t.db,
    redis,
    queuePrefix,
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
  };
  const log = createLogger({ name: 'test', level: 'silent' });
  const app = createApp({ log, checks: {}, isDraining: () => false, engine, settings });
  const admin = await createAdminUser(t.db, CLI_ACTOR, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  return {
    t,
    redis,
    engine,
    app,
    admin,
    secretKey,
    async close() {
      await engine.close();
      await deleteKeysWithPrefix(redis, queuePrefix);
      redis.disconnect();
      await t.drop();
    },
  };
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
  await h.redis.del(...(await h.redis.keys(`${h.engine.queuePrefix}:login:*`)), 'unused');
}

/** Signs `agent` in through the login form (CSRF token included). */
export async function signInAgent(
  h: PanelHarness,
  agent: Agent = request.agent(h.app),
  password = ADMIN_PASSWORD,
): Promise<Agent> {
  const page = await agent.get('/login').expect(200);
  await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email: ADMIN_EMAIL, password })
    .expect(303)
    .expect('location', '/');
  return agent;
}

/** The CSRF token of a signed-in agent (read from a panel page). */
export async function tokenOf(agent: Agent): Promise<string> {
  return csrfFrom((await agent.get('/apps').expect(200)).text);
}
