import type { SharedConfig } from '@herald/config';
import { migrateDatabase } from '@herald/db';
import { createQueuePool, migrateQueueSchema } from '@herald/queue';

export interface MigrateResult {
  created: boolean;
  applied: string[];
  /** BullMQ's schema version in Postgres-only mode (HERALD_QUEUE_BACKEND=postgres). */
  queueSchemaVersion?: number;
}

/**
 * `pnpm migrate` and `pnpm start`: create the database when missing, apply
 * Herald's migrations, and in Postgres-only mode bring BullMQ's own schema
 * (`bullmq`) up to date. Both are safe from several processes at once.
 */
export async function migrateAll(
  config: Pick<SharedConfig, 'databaseUrl' | 'queueBackend'>,
): Promise<MigrateResult> {
  const result = await migrateDatabase(config.databaseUrl);
  if (config.queueBackend !== 'postgres') return result;
  const pool = createQueuePool({
    connectionString: config.databaseUrl,
    max: 1,
    applicationName: 'herald-migrate',
  });
  try {
    return { ...result, queueSchemaVersion: await migrateQueueSchema(pool) };
  } finally {
    await pool.end();
  }
}
