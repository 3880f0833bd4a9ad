import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { checkEnv, loadAdminConfig, loadCliConfig, loadStartConfig, loadWorkerConfig } from '@herald/config';
import { nodeArgsFor, runMain } from '@herald/core';
import { detectLocalServices } from '@herald/embedded';
import { createLogger } from '@herald/logger';
import { REPO_ROOT, STATE_DIR, migrateAll } from '@herald/runtime';
import { startEmbedded } from './start-embedded.js';
import { chooseStartMode } from './start-mode.js';

const ENTRY_POINTS = {
  admin: 'apps/admin/src/main.ts',
  worker: 'apps/worker/src/main.ts',
} as const;

// `pnpm start`: validate every variable admin and worker read (one message
// naming all bad ones, before anything connects). With nothing configured and
// nothing answering locally (or HERALD_EMBEDDED=always): admin and one worker
// in this process on the embedded database. Otherwise migrate, then run one
// admin and one worker process until a signal or until either of them exits.
runMain(async () => {
  checkEnv(process.env, [loadAdminConfig, loadWorkerConfig, loadStartConfig]);
  const config = loadCliConfig(process.env);
  const log = createLogger({ name: 'herald-start', level: config.logLevel });
  const start = loadStartConfig(process.env);
  const choice = await chooseStartMode(start.embedded, process.env, () =>
    detectLocalServices({ timeoutMs: 1_000 }),
  );
  if (choice.mode === 'embedded') {
    await startEmbedded({
      admin: loadAdminConfig(process.env),
      worker: loadWorkerConfig(process.env),
      dataDir: path.resolve(start.dataDir ?? path.join(STATE_DIR, 'data')),
      log,
      reason: choice.reason,
    });
    return undefined;
  }
  const { created, applied } = await migrateAll(config);
  if (created) log.info('database created');
  log.info({ applied }, applied.length > 0 ? 'migrations applied' : 'schema already up to date');

  const children = new Map<string, ChildProcess>();
  // Stopping: asked by a signal, or because one process ended. Any process
  // that then ends other than cleanly (exit 0) makes pnpm start exit 1.
  let stopping = false;
  let failed = false;
  const stopAll = (signal: NodeJS.Signals): void => {
    for (const child of children.values()) if (child.exitCode === null) child.kill(signal);
  };
  const allExited = Promise.all(
    Object.entries(ENTRY_POINTS).map(([name, entry]) => {
      // As `pnpm admin` and `pnpm worker` start them.
      const child = spawn(process.execPath, nodeArgsFor(entry), {
        cwd: REPO_ROOT,
        env: process.env,
        stdio: 'inherit',
      });
      children.set(name, child);
      return new Promise<void>((resolve) => {
        child.once('exit', (code, signal) => {
          children.delete(name);
          if (code !== 0) {
            failed = true;
            log.error({ process: name, code, signal }, 'process exited with an error');
          }
          if (!stopping) {
            // The first process to end on its own takes the other down with it.
            stopping = true;
            log.warn({ process: name }, 'process ended; stopping the others');
            stopAll('SIGTERM');
          }
          resolve();
        });
      });
    }),
  );
  const forward = (signal: NodeJS.Signals): void => {
    stopping = true;
    stopAll(signal);
  };
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  await allExited;
  return failed ? 1 : 0;
});
