import { loadCliConfig } from '@herald/config';
import { runMain } from '@herald/core';
import { createLogger } from '@herald/logger';
import { migrateAll } from '@herald/runtime';

// `pnpm migrate`: create the database if needed, then apply every pending
// migration. Safe to run from several processes at once.
runMain(async () => {
  const config = loadCliConfig(process.env);
  const log = createLogger({ name: 'herald-migrate', level: config.logLevel, destination: 'stderr' });
  const { created, applied, queueSchemaVersion } = await migrateAll(config);
  if (created) log.info('database created');
  log.info({ applied }, applied.length > 0 ? 'migrations applied' : 'schema already up to date');
  if (queueSchemaVersion !== undefined) log.info({ version: queueSchemaVersion }, 'queue schema up to date');
  return 0;
});
