import { sql } from 'kysely';
import type { Db } from '@herald/db';

export interface PruneOptions {
  /** Events created before this go, with their deliveries and attempts (cascade). */
  olderThan: Date;
  /** Events created before this keep their metadata but lose their payload. */
  payloadOlderThan?: Date;
  /** Rows per statement: small, so no statement holds many row locks for long. */
  batchSize?: number;
  /** Statements per run: a run stays bounded however large the backlog. */
  maxBatches?: number;
}

export interface PruneResult {
  eventsDeleted: number;
  payloadsDropped: number;
  /** True when the run stopped at maxBatches with more left to do. */
  hasMore: boolean;
}

/**
 * Retention in bounded batches, oldest first. Each batch is its own short
 * statement that skips rows other transactions hold (`for update skip
 * locked`), so pruning never waits on — or blocks — the workers' writes.
 */
export async function pruneOldData(db: Db, options: PruneOptions): Promise<PruneResult> {
  const batchSize = options.batchSize ?? 1_000;
  let budget = options.maxBatches ?? 100;
  const result: PruneResult = { eventsDeleted: 0, payloadsDropped: 0, hasMore: false };
  while (budget > 0) {
    budget--;
    const deleted = await sql`
      delete from events where id in (
        select id from events where created_at < ${options.olderThan}
        order by created_at limit ${batchSize} for update skip locked)`.execute(db);
    const n = Number(deleted.numAffectedRows ?? 0);
    result.eventsDeleted += n;
    if (n < batchSize) break;
  }
  if (options.payloadOlderThan) {
    while (budget > 0) {
      budget--;
      const dropped = await sql`
        update events set payload = null where id in (
          select id from events where created_at < ${options.payloadOlderThan} and payload is not null
          order by created_at limit ${batchSize} for update skip locked)`.execute(db);
      const n = Number(dropped.numAffectedRows ?? 0);
      result.payloadsDropped += n;
      if (n < batchSize) break;
    }
  }
  result.hasMore = budget === 0;
  return result;
}
