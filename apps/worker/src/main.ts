import { setFlagsFromString } from 'node:v8';
import { loadWorkerConfig } from '@herald/config';
import { WORKER_NODE_FLAGS, runMain } from '@herald/core';
import { PREPARED_STATEMENTS_MIN_ROWS } from '@herald/db';
import { createLogger } from '@herald/logger';
import { closeServer, createHealthServer, createMetrics, listen } from '@herald/observability';
import { STATE_DIR, onShutdownSignal, openServices } from '@herald/runtime';
import { createKeyring } from '@herald/signing';
import { createWorker } from './worker.js';

// `pnpm worker` and docker compose start the worker with WORKER_NODE_FLAGS
// (@herald/core: young generation at Node 20's size, old-generation growth
// between full GCs at most 1.5×). Started some other way, the growth cap is
// still set here (V8 reads it at every GC; the young generation's size only
// the command line can set). A value given on the command line or in
// NODE_OPTIONS wins.
const nodeFlags = `${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`;
const growthCap = WORKER_NODE_FLAGS.find((flag) => flag.startsWith('--heap-growing-percent='));
if (growthCap !== undefined && !nodeFlags.includes('heap-growing-percent')) setFlagsFromString(growthCap);

// `pnpm worker`: one worker process. Run as many as you like, anywhere; they
// coordinate through Postgres and the queue backend only. Never migrates.
runMain(async () => {
  const config = loadWorkerConfig(process.env);
  const log = createLogger({ name: 'herald-worker', level: config.logLevel });
  const services = await openServices(config, {
    name: 'herald-worker',
    log,
    stateDir: STATE_DIR,
    // Postgres-only mode: fetches, locks and completions for `concurrency` jobs, plus the LISTENs.
    maxQueueConnections: Math.min(60, 10 + Math.ceil(config.concurrency / 5)),
    // Its queue writes are recoverable (re-run job, reconciler), so they skip the WAL flush wait.
    queueSynchronousCommit: false,
    // Below that size the hot writes are planned at every call (@herald/db prepared.ts).
    preparedStatements: { minRows: PREPARED_STATEMENTS_MIN_ROWS, intervalMs: 60_000 },
  });
  let draining = false;
  const metrics = createMetrics();
  const health = createHealthServer({
    checks: services.checks,
    isDraining: () => draining,
    metrics: { registry: metrics.registry, token: config.metricsToken },
  });
  const port = await listen(health, config.port);
  log.info({ port }, 'worker health listening');
  const worker = createWorker({
    db: services.db,
    queueBackend: services.queueBackend,
    shared: services.shared,
    log,
    keyring: createKeyring(services.secretKeys.current, services.secretKeys.old),
    concurrency: config.concurrency,
    retryScheduleMs: config.retryScheduleMs,
    deliveryTimeoutMs: config.deliveryTimeoutMs,
    allowPrivateNetworks: config.allowPrivateNetworks,
    breakerFailures: config.breakerFailures,
    breakerOpenMs: config.breakerOpenSeconds * 1000,
    disableAfterMs: config.disableAfterMs,
    retentionMs: config.retentionMs,
    payloadRetentionMs: config.payloadRetentionMs,
    metrics,
  });
  // Signals are handled from here on, even while start() is still under way.
  onShutdownSignal(log, async () => {
    draining = true;
    await worker.close();
    await closeServer(health);
    await services.close();
  });
  await worker.start();
});
