import { sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import type { Db } from './connect.js';

/**
 * Named prepared statements for the worker's hot writes.
 *
 * Kysely sends every statement unnamed, so Postgres parses and plans it on
 * every call. For the fan-out write and the outcome write (one statement each
 * whose text never changes, thousands a second) that costs more than the
 * writes: Postgres backend CPU per single-event fan-out + outcome, measured
 * here, 1.74 ms unnamed, 1.21 ms named with a fresh plan each time, 0.88 ms
 * named with Postgres' cached generic plan. A statement that starts with
 * `preparedStatement(name)` is sent named (parsed once per connection; after
 * five runs Postgres may keep a generic plan) while its pool's
 * PreparedStatementGate is open, and unnamed otherwise.
 *
 * Why a gate: a generic plan is made once and kept until the tables' statistics
 * change. Made while `deliveries` is nearly empty (a new install) it scans the
 * table; if the table then grows by tens of thousands of rows before autovacuum
 * next analyzes it, every write scans all of them (measured: 10–21 ms per
 * statement instead of 1). Made once the tables hold enough rows that an
 * index lookup is the cheaper plan, it stays an index lookup however they grow.
 * So the gate opens when Postgres' own estimate for both tables passes
 * `minRows`, and stays open.
 */

/** A Postgres identifier the marker comment can carry: lower case, at most 63 bytes. */
const NAME_PATTERN = '[a-z][a-z0-9_]{0,62}';
const NAME = new RegExp(`^${NAME_PATTERN}$`);
const MARKER = new RegExp(`^/\\* prepare:(${NAME_PATTERN}) \\*/`);

/** Put first in a `sql` template: sent as a named statement while the pool's gate is open. */
export function preparedStatement(name: string): RawBuilder<unknown> {
  if (!NAME.test(name)) throw new Error(`prepared statement name must match ${NAME.source}: ${name}`);
  return sql.raw(`/* prepare:${name} */ `);
}

/** The name a statement's text asks to be prepared under, if it does. */
export function preparedNameOf(text: string): string | undefined {
  return MARKER.exec(text)?.[1];
}

/** Whether a pool sends marked statements named. Closed until opened; never closes again. */
export class PreparedStatementGate {
  #open = false;

  get open(): boolean {
    return this.#open;
  }

  openNow(): void {
    this.#open = true;
  }
}

/**
 * A node-postgres client class that sends marked statements as named ones
 * while `gate` is open (node-postgres parses a name once per connection and
 * refuses one name for two different texts). Everything else goes through
 * unchanged.
 */
export function preparingClient(gate: PreparedStatementGate): typeof pg.Client {
  return class PreparingClient extends pg.Client {
    // node-postgres' query() has a dozen overloads; this forwards all of them.
    override query(...args: unknown[]): never {
      const [text, values] = args;
      if (gate.open && typeof text === 'string' && (values === undefined || Array.isArray(values))) {
        const name = preparedNameOf(text);
        if (name !== undefined) args = [{ name, text, values }, ...args.slice(2)];
      }
      return (super.query as (...a: unknown[]) => never)(...args);
    }
  };
}

/**
 * The size (Postgres' row estimate for both `events` and `deliveries`) past
 * which the worker opens its gate. Measured on Postgres 15: from ~50k rows the
 * generic plans of both hot writes are index lookups (at 20k the outcome
 * write's is still a scan); twice that leaves a margin.
 * prepared-plans.int.test.ts checks the plans at this size.
 */
export const PREPARED_STATEMENTS_MIN_ROWS = 100_000;

/** The tables whose size decides whether generic plans of the hot writes are safe. */
const SIZED_TABLES = ['events', 'deliveries'] as const;

/**
 * Postgres' row estimate for the smallest of SIZED_TABLES (pg_class.reltuples,
 * kept by ANALYZE and autovacuum; -1 for a table never analyzed).
 */
export async function smallestTableEstimate(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number | null }>`
    select min(reltuples)::float8 as n from pg_class
    where oid in (${sql.join(SIZED_TABLES.map((t) => sql`${t}::regclass`))})`.execute(db);
  return rows[0]?.n ?? -1;
}

export interface GateWatchOptions {
  /** Both tables must hold about this many rows (Postgres' estimate). */
  minRows: number;
  /** How often to look again until they do. */
  intervalMs: number;
  onOpen?: (rows: number) => void;
  /** A failed look (Postgres unreachable): the watch goes on. */
  onError?: (error: Error) => void;
}

/**
 * Opens `gate` once the sized tables are large enough: looks now, then every
 * `intervalMs` until it opens (then stops looking). stop() ends the watch.
 */
export function openWhenTablesAreLarge(
  db: Db,
  gate: PreparedStatementGate,
  options: GateWatchOptions,
): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const look = async (): Promise<void> => {
    try {
      const rows = await smallestTableEstimate(db);
      if (stopped) return;
      if (rows >= options.minRows) {
        gate.openNow();
        options.onOpen?.(rows);
        return;
      }
    } catch (error) {
      if (stopped) return;
      options.onError?.(error as Error);
    }
    if (!stopped) timer = setTimeout(() => void look(), options.intervalMs).unref();
  };
  void look();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
