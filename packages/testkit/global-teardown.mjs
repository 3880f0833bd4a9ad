import pg from 'pg';

export default async function globalTeardown() {
  const name = process.env.HERALD_TEST_TEMPLATE_DB;
  if (!name) return;
  const client = new pg.Client({
    connectionString: process.env.HERALD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}
