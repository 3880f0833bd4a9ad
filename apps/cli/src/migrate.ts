import { loadCliConfig } from '@herald/config';
import { runMain } from '@herald/core';
import { migrateDatabase } from '@herald/db';
import { createLogger } from '@herald/logger';

// `pnpm migrate`: create the database if needed, then apply every pending
// migration. Safe to run from several processes at once.
runMain(async () => {
  const config = loadCliConfig(process.env);
  const log = createLogger({ name: 'herald-migrate', level: config.logLevel, destination: 'stderr' });
  const { created, applied } = await migrateDatabase(config.databaseUrl);
  if (created) log.info('database created');
  log.info({ applied }, applied.length > 0 ? 'migrations applied' : 'schema already up to date');
  return 0;
});
