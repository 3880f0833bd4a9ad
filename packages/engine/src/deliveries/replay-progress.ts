import { NotFoundError } from '@herald/core';
import type { DeliveryStatus } from '@herald/db';
import type { Engine } from '../engine.js';

export interface ReplayProgress {
  replayId: string;
  total: number;
  counts: Record<DeliveryStatus, number>;
  /** Nothing left pending or failed-and-retrying (held deliveries wait for a resume). */
  done: boolean;
}

/**
 * Where the deliveries of one replay stand, by status (`deliveries.replay_id`,
 * indexed). A delivery replayed again later belongs to the later replay.
 * A replay of another webhook or app, or one that queued nothing, is not found.
 */
export async function getReplayProgress(
  engine: Pick<Engine, 'db'>,
  appId: string,
  webhookId: string,
  replayId: string,
): Promise<ReplayProgress> {
  const rows = await engine.db
    .selectFrom('deliveries')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('replay_id', '=', replayId)
    .where('webhook_id', '=', webhookId)
    .where('app_id', '=', appId)
    .groupBy('status')
    .execute();
  const counts: Record<DeliveryStatus, number> = {
    pending: 0,
    succeeded: 0,
    failed: 0,
    dead: 0,
    held: 0,
    cancelled: 0,
  };
  for (const r of rows) counts[r.status] = Number(r.n);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (total === 0) throw new NotFoundError('replay', replayId);
  return { replayId, total, counts, done: counts.pending === 0 && counts.failed === 0 };
}
