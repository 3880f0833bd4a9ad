import { WEBHOOK_EVENT_TYPE } from './webhook.js';
import type { Herald, PublishInput } from './workspace.js';

/**
 * Herald events with the raw baseline's body (numbered users); the sink reads
 * `enqueued_at_ms` back for publish→delivery latency.
 */
export function loginEventMaker(appId: string): () => PublishInput {
  let n = 0;
  return () => ({
    app: appId,
    type: WEBHOOK_EVENT_TYPE,
    data: {
      user_id: `usr_${++n}`,
      ip: '203.0.113.7',
      method: 'password',
      enqueued_at_ms: performance.now(),
    },
  });
}

/** Publishes `count` events from `makeEvent` in `publishBatch` calls of at most `batchSize`. */
export async function publishInBatches(
  herald: Herald,
  makeEvent: () => PublishInput,
  count: number,
  batchSize: number,
): Promise<void> {
  for (let sent = 0; sent < count; sent += batchSize) {
    await herald.publishBatch(Array.from({ length: Math.min(batchSize, count - sent) }, makeEvent));
  }
}
