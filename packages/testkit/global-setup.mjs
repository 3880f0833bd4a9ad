// Runs once per Jest run, outside Jest's module system (so plain JS): builds
// a migrated template database with the real `pnpm migrate` entry point
// (in Postgres-only mode, so the template holds BullMQ's `bullmq` schema too
// and tests can run on either queue backend).
// Test workers inherit the environment and copy the template per file.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const base = process.env.HERALD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function globalSetup() {
  const name = `herald_tpl_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'apps/cli/src/migrate.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: url.toString(),
      HERALD_QUEUE_BACKEND: 'postgres',
      HERALD_LOG_LEVEL: 'warn',
    },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`could not build the test template database:\n${result.stderr}`);
  }
  process.env.HERALD_TEST_TEMPLATE_DB = name;
}
