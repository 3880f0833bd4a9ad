import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { createApp, toAdminSettings } from '@herald/admin';
import { resolveSecretKeys, type AdminConfig, type WorkerConfig } from '@herald/config';
import { StartupError, ValidationError } from '@herald/core';
import { ping, type Db } from '@herald/db';
import { openEmbeddedDatabase } from '@herald/embedded';
import { createEngine, createPostgresSharedState, ensureInitialAdmin, listAdminUsers } from '@herald/engine';
import type { Logger } from '@herald/logger';
import { closeServer, createMetrics, listen } from '@herald/observability';
import { createPostgresQueueBackend } from '@herald/queue';
import { onShutdownSignal } from '@herald/runtime';
import { createKeyring } from '@herald/signing';
import { createWorker } from '@herald/worker';

/** PGlite is one session: more concurrent jobs only queue up behind each other. */
export const EMBEDDED_WORKER_CONCURRENCY = 10;
/** The login created when no HERALD_ADMIN_EMAIL is set and the database has no admin yet. */
export const GENERATED_ADMIN_EMAIL = 'admin@herald.localhost';
export const INITIAL_ADMIN_FILE = 'initial-admin.txt';

export interface EmbeddedStartOptions {
  admin: AdminConfig;
  worker: WorkerConfig;
  /** Absolute; its parent directory keeps the secret key and the generated admin password. */
  dataDir: string;
  log: Logger;
  reason: string;
}

/**
 * `pnpm start` with nothing but Node: admin app and one worker in this process
 * on the embedded database (PGlite) with BullMQ's Postgres backend on it.
 * Every connection below is the same single Postgres session.
 */
export async function startEmbedded(options: EmbeddedStartOptions): Promise<void> {
  const { admin: config, log } = options;
  const stateDir = path.dirname(options.dataDir);
  const startedAt = Date.now();
  // A signal while the database is created or migrated (seconds on a first
  // start) is kept until that step ends; then start-up stops, closing what it
  // opened and freeing the lock, and exits 0 — killing PGlite mid-initdb
  // could leave a data directory that never opens again.
  let stopRequested: NodeJS.Signals | undefined;
  const duringStartUp = (signal: NodeJS.Signals): void => {
    stopRequested ??= signal;
    log.info({ signal }, 'signal during start-up: stopping when the current step ends');
  };
  process.on('SIGTERM', duringStartUp);
  process.on('SIGINT', duringStartUp);
  log.info({ dataDir: options.dataDir }, 'embedded mode: opening the data directory');
  const secretKeys = resolveSecretKeys({
    secretKey: config.secretKey,
    oldSecretKeys: config.oldSecretKeys,
    fallbackFile: path.join(stateDir, 'secret.key'),
    onGenerated: (file) => log.warn({ file }, 'HERALD_SECRET_KEY is not set: generated a development key'),
  });
  const embedded = await openEmbeddedDatabase({ dataDir: options.dataDir }).catch((error: unknown) => {
    process.off('SIGTERM', duringStartUp);
    process.off('SIGINT', duringStartUp);
    throw error; // DataDirLockedError: exit 1
  });
  // Whatever was opened, closed in reverse on a failed start (the lock is freed last).
  const cleanups: (() => Promise<void>)[] = [() => embedded.close()];
  const cleanUp = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse())
      await cleanup().catch((e: unknown) => failures.push(e));
    if (failures.length > 0) throw failures[0];
  };
  /** At the end of each start-up step: a signal that came during it stops here. */
  const stopIfAsked = async (): Promise<void> => {
    if (stopRequested === undefined) return;
    await cleanUp();
    log.info({ signal: stopRequested }, 'stopped');
    process.exit(0);
  };
  try {
    await stopIfAsked();
    const { applied, queueSchemaVersion } = await embedded.migrate();
    log.info(
      { applied, queueSchemaVersion },
      applied.length > 0 ? 'migrations applied' : 'schema up to date',
    );
    await stopIfAsked();
    const login = await ensureAdmin(embedded.db, config, stateDir, log);
    await stopIfAsked();

    const queueBackend = createPostgresQueueBackend(embedded.pool);
    const shared = createPostgresSharedState(embedded.pool);
    const keyring = createKeyring(secretKeys.current, secretKeys.old);
    const metrics = createMetrics();
    let draining = false;
    const engine = createEngine({
      db: embedded.db,
      queue: queueBackend,
      shared,
      keyring,
      allowPrivateNetworks: config.allowPrivateNetworks,
    });
    cleanups.push(() => engine.close());
    const app = createApp({
      log,
      checks: { postgres: () => ping(embedded.db) },
      isDraining: () => draining,
      engine,
      settings: { ...toAdminSettings(config), sessionSecret: secretKeys.current },
      metrics,
    });
    const server = createServer(app);
    const w = options.worker;
    const worker = createWorker({
      db: embedded.db,
      queueBackend,
      shared,
      log,
      keyring,
      concurrency: Math.min(w.concurrency, EMBEDDED_WORKER_CONCURRENCY),
      retryScheduleMs: w.retryScheduleMs,
      deliveryTimeoutMs: w.deliveryTimeoutMs,
      allowPrivateNetworks: w.allowPrivateNetworks,
      breakerFailures: w.breakerFailures,
      breakerOpenMs: w.breakerOpenSeconds * 1000,
      disableAfterMs: w.disableAfterMs,
      retentionMs: w.retentionMs,
      payloadRetentionMs: w.payloadRetentionMs,
      metrics,
    });
    cleanups.push(() => worker.close());
    // Signals are handled from here on, even while the worker is still starting:
    // HTTP server, worker (drains in-flight jobs), engine, then the database and its lock.
    process.off('SIGTERM', duringStartUp);
    process.off('SIGINT', duringStartUp);
    await stopIfAsked();
    onShutdownSignal(log, async () => {
      draining = true;
      await cleanUp();
    });
    const port = await listen(server, config.port);
    cleanups.push(() => closeServer(server));
    log.info({ port }, 'admin listening');
    await worker.start();
    process.stderr.write(
      banner({ dataDir: embedded.dataDir, port, login, reason: options.reason, ms: Date.now() - startedAt }),
    );
  } catch (error) {
    process.off('SIGTERM', duringStartUp);
    process.off('SIGINT', duringStartUp);
    await cleanUp().catch(() => undefined); // the start-up error is the one to report
    throw error;
  }
}

type Login =
  { kind: 'configured'; email: string } | { kind: 'generated'; file: string } | { kind: 'existing' };

// HERALD_ADMIN_EMAIL/PASSWORD as in `pnpm admin`; otherwise, on a database
// without any admin, a generated password written to a 0600 file (never logged).
async function ensureAdmin(db: Db, config: AdminConfig, stateDir: string, log: Logger): Promise<Login> {
  if (config.initialAdmin) {
    const { created, admin } = await ensureInitialAdmin(db, config.initialAdmin).catch((error: unknown) => {
      if (error instanceof ValidationError) {
        throw new StartupError(`HERALD_ADMIN_EMAIL/HERALD_ADMIN_PASSWORD: ${error.message}`);
      }
      throw error;
    });
    if (created) log.info({ adminId: admin.id }, 'initial admin created');
    return { kind: 'configured', email: config.initialAdmin.email };
  }
  if ((await listAdminUsers(db)).length > 0) return { kind: 'existing' };
  const password = randomBytes(18).toString('base64url');
  const file = path.join(stateDir, INITIAL_ADMIN_FILE);
  // Written before the admin exists: a failed write leaves no login nobody knows.
  writeFileSync(file, `email: ${GENERATED_ADMIN_EMAIL}\npassword: ${password}\n`, { mode: 0o600 });
  const { admin } = await ensureInitialAdmin(db, { email: GENERATED_ADMIN_EMAIL, password });
  log.info({ adminId: admin.id, file }, 'initial admin created with a generated password');
  return { kind: 'generated', file };
}

function banner(input: { dataDir: string; port: number; login: Login; reason: string; ms: number }): string {
  const loginLine =
    input.login.kind === 'generated'
      ? `first login:  ${GENERATED_ADMIN_EMAIL}, password in ${input.login.file} (delete it once changed)`
      : input.login.kind === 'configured'
        ? `login:        ${input.login.email} (HERALD_ADMIN_EMAIL)`
        : 'login:        an existing admin (pnpm herald admin create to add one)';
  return [
    '',
    '  Herald is running in EMBEDDED mode',
    `  (${input.reason}; started in ${(input.ms / 1000).toFixed(1)} s)`,
    '',
    `  panel:        http://localhost:${input.port}/`,
    `  ${loginLine}`,
    `  data:         ${input.dataDir} (one process at a time)`,
    '',
    '  For trying Herald: one process, one embedded Postgres (PGlite), about 100 jobs/s.',
    '  For real use, start Postgres and Redis (or set DATABASE_URL and REDIS_URL),',
    '  run `pnpm migrate`, then `pnpm start` again. Embedded data is not carried over.',
    '',
    '',
  ].join('\n');
}
