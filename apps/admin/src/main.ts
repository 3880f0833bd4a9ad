import { createServer } from 'node:http';
import { loadAdminConfig } from '@herald/config';
import { runMain } from '@herald/core';
import { createLogger } from '@herald/logger';
import { closeServer, listen } from '@herald/observability';
import { STATE_DIR, onShutdownSignal, openServices } from '@herald/runtime';
import { createApp } from './app.js';

// `pnpm admin`: the panel, the API and health on PORT. Never migrates.
runMain(async () => {
  const config = loadAdminConfig(process.env);
  const log = createLogger({ name: 'herald-admin', level: config.logLevel });
  const services = await openServices(config, { name: 'herald-admin', log, stateDir: STATE_DIR });
  let draining = false;
  const app = createApp({ log, checks: services.checks, isDraining: () => draining });
  const server = createServer(app);
  onShutdownSignal(log, async () => {
    draining = true;
    await closeServer(server);
    await services.close();
  });
  const port = await listen(server, config.port);
  log.info({ port }, 'admin listening');
});
