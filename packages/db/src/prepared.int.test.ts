import { sql } from 'kysely';
import { createTestDatabase, sleep, waitUntil, type TestDatabase } from '@herald/testkit';
import {
  createDb,
  openWhenTablesAreLarge,
  preparedNameOf,
  preparedStatement,
  PreparedStatementGate,
  smallestTableEstimate,
  type Db,
} from './index.js';

/** The statements prepared on a one-connection pool's connection. */
async function preparedOn(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements order by name`.execute(
    db,
  );
  return rows.map((r) => r.name);
}

const SQUARE = preparedStatement('herald_test_square');
const square = (db: Db, n: number) =>
  sql<{ sq: number }>`${SQUARE} select ${n}::int * ${n}::int as sq`.execute(db);

describe('prepared statements', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });

  it('refuses a name Postgres could not take or the marker could not carry', () => {
    for (const bad of ['', 'Upper', '1st', 'with space', 'semi;colon', 'a*/b', 'x'.repeat(64)]) {
      expect(() => preparedStatement(bad)).toThrow(/prepared statement name must match/);
    }
    expect(preparedNameOf('/* prepare:herald_x */ select 1')).toBe('herald_x');
    expect(preparedNameOf('select 1 /* prepare:herald_x */')).toBeUndefined();
  });

  it('sends a marked statement unnamed while the gate is closed and named once it opens', async () => {
    const gate = new PreparedStatementGate();
    // One connection, so the catalogue read sees the same session's statements.
    const db = createDb({ connectionString: t.url, maxConnections: 1, preparedStatements: gate });
    try {
      expect((await square(db, 3)).rows).toEqual([{ sq: 9 }]);
      expect(await preparedOn(db)).toEqual([]);

      gate.openNow();
      expect((await square(db, 4)).rows).toEqual([{ sq: 16 }]);
      expect((await square(db, 5)).rows).toEqual([{ sq: 25 }]);
      expect(await preparedOn(db)).toEqual(['herald_test_square']);
      // Unmarked statements stay unnamed.
      await sql`select 1`.execute(db);
      expect(await preparedOn(db)).toEqual(['herald_test_square']);
    } finally {
      await db.destroy();
    }
  });

  it('never names statements on a pool made without a gate', async () => {
    const db = createDb({ connectionString: t.url, maxConnections: 1 });
    try {
      expect((await square(db, 6)).rows).toEqual([{ sq: 36 }]);
      expect(await preparedOn(db)).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('opens the gate once events and deliveries pass the size, and not before', async () => {
    const gate = new PreparedStatementGate();
    const opened: number[] = [];
    const errors: string[] = [];
    const watch = openWhenTablesAreLarge(t.db, gate, {
      minRows: 50,
      intervalMs: 50,
      onOpen: (rows) => opened.push(rows),
      onError: (error) => errors.push(error.message),
    });
    try {
      // A new database: never analyzed (-1), so the gate stays shut.
      expect(await smallestTableEstimate(t.db)).toBeLessThan(50);
      await sleep(200);
      expect(gate.open).toBe(false);

      await t.db.insertInto('apps').values({ id: 'app_sz', name: 'sized' }).execute();
      await sql`
        insert into webhooks (id, app_id, url, secret_ciphertext)
        values ('wh_sz', 'app_sz', 'https://example.com/hook', 'x')`.execute(t.db);
      await sql`
        insert into events (id, app_id, type, payload, created_at)
        select 'msg_sz' || g, 'app_sz', 'user.login', '{}'::jsonb, now() from generate_series(1, 80) g`.execute(
        t.db,
      );
      // Events alone are not enough: both tables must be large.
      await sql`analyze events, deliveries`.execute(t.db);
      await sleep(200);
      expect(gate.open).toBe(false);

      await sql`
        insert into deliveries (id, event_id, webhook_id, app_id, status)
        select 'dlv_sz' || g, 'msg_sz' || g, 'wh_sz', 'app_sz', 'succeeded' from generate_series(1, 80) g`.execute(
        t.db,
      );
      await sql`analyze events, deliveries`.execute(t.db);
      await waitUntil(() => gate.open, { timeoutMs: 5_000, what: 'the gate to open' });
      expect(opened).toEqual([80]);
      expect(errors).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it('keeps watching through a failed look (Postgres unreachable) and stop() ends it', async () => {
    const dead = createDb({ connectionString: 'postgres://postgres@127.0.0.1:1/none', maxConnections: 1 });
    const errors: string[] = [];
    const gate = new PreparedStatementGate();
    const watch = openWhenTablesAreLarge(dead, gate, {
      minRows: 1,
      intervalMs: 20,
      onError: (e) => errors.push(e.message),
    });
    try {
      await waitUntil(() => errors.length >= 2, { timeoutMs: 5_000, what: 'two failed looks' });
      expect(gate.open).toBe(false);
    } finally {
      watch.stop();
    }
    const seen = errors.length;
    await sleep(100);
    expect(errors.length).toBe(seen);
    await dead.destroy();
  });
});
