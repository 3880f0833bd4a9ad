// The one place the test kit reads the environment: where the test services
// are. CI and developers use the defaults (local Postgres and Redis).
export const TEST_POSTGRES_URL =
  process.env['HERALD_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env['HERALD_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Set by global-setup: a migrated database that test databases are copied from. */
export const TEMPLATE_ENV = 'HERALD_TEST_TEMPLATE_DB';

export type TestQueueKind = 'redis' | 'postgres';
/** Which queue backend the engine's integration tests run on (`pnpm test:int:postgres` sets postgres). */
export const TEST_QUEUE_BACKEND: TestQueueKind =
  process.env['HERALD_TEST_QUEUE_BACKEND'] === 'postgres' ? 'postgres' : 'redis';
