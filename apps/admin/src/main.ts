import { createServer } from 'node:http';
import { loadAdminConfig } from '@herald/config';
import { StartupError, ValidationError, runMain } from '@herald/core';
import { createEngine, ensureInitialAdmin } from '@herald/engine';
import { createLogger } from '@herald/logger';
import { closeServer, createMetrics, listen } from '@herald/observability';
import { STATE_DIR, onShutdownSignal, openServices } from '@herald/runtime';
import { createKeyring } from '@herald/signing';
import { createApp } from './app.js';
import { toAdminSettings } from './settings.js';

// `pnpm admin`: the panel, the API and health on PORT. Never migrates.
runMain(async () => {
  const config = loadAdminConfig(process.env);
  const log = createLogger({ name: 'herald-admin', level: config.logLevel });
  const services = await openServices(config, { name: 'herald-admin', log, stateDir: STATE_DIR });
  if (config.initialAdmin) {
    // Creates the admin only when none has this email; never changes an existing one.
    const { created, admin } = await ensureInitialAdmin(services.db, config.initialAdmin).catch(
      async (error: unknown) => {
        await services.close();
        if (error instanceof ValidationError) {
          throw new StartupError(`HERALD_ADMIN_EMAIL/HERALD_ADMIN_PASSWORD: ${error.message}`);
        }
        throw error;
      },
    );
    if (created) log.info({ adminId: admin.id }, 'initial admin created');
  }
  let draining = false;
  const engine = createEngine({
    db: services.db,
    queue: services.queueBackend,
    shared: services.shared,
    keyring: createKeyring(services.secretKeys.current, services.secretKeys.old),
    allowPrivateNetworks: config.allowPrivateNetworks,
  });
  const app = createApp({
    log,
    checks: services.checks,
    isDraining: () => draining,
    engine,
    settings: { ...toAdminSettings(config), sessionSecret: services.secretKeys.current },
    metrics: createMetrics(),
  });
  const server = createServer(app);
  onShutdownSignal(log, async () => {
    draining = true;
    await closeServer(server);
    await engine.close();
    await services.close();
  });
  const port = await listen(server, config.port);
  log.info({ port }, 'admin listening');
});
