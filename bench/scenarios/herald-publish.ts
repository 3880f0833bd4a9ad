import { QUEUE_NAMES, createRedisQueueBackend } from '@herald/queue';
import { deleteKeysWithPrefix } from '@herald/testkit';
import { withCleanup } from '../lib/cleanup.js';
import { loginEventMaker, publishInBatches } from '../lib/login-events.js';
import type { Scenario } from '../lib/context.js';
import type { Figure } from '../lib/report.js';
import { medianOfRounds, perSecond } from '../lib/stats.js';
import { Herald } from '../lib/workspace.js';

// The same counts as raw-publish, so each figure has a like-for-like baseline.
const SEQUENTIAL_EVENTS = 5_000;
const IN_FLIGHT_EVENTS = 20_000;
const IN_FLIGHT = 64;
const BATCH_EVENTS = 20_000;
const BATCH_SIZE = 100;
const WARMUP_EVENTS = 500;
/** Nothing consumes these events, so the app need not exist; the id only has to be well-formed. */
const APP_ID = `app_${'0'.repeat(26)}`;

/**
 * Herald's client alone (no worker): validation, event ids and job options on
 * top of BullMQ's add/addBulk, measured exactly as raw-publish measures those.
 */
export const heraldPublish: Scenario = {
  name: 'herald-publish',
  run: (ctx) =>
    withCleanup(ctx.log, async (cleanup) => {
      const queuePrefix = `${ctx.prefix}-hb`;
      const admin = ctx.connect('herald-publish-admin');
      cleanup.defer('delete queue keys', () => deleteKeysWithPrefix(admin, `${queuePrefix}:`));
      const herald = new Herald({ connection: ctx.connect('herald-publish-client'), queuePrefix });
      cleanup.defer('close client', () => herald.close());
      // Only to empty the events queue between rounds.
      const events = createRedisQueueBackend(admin, queuePrefix).createQueue(QUEUE_NAMES.events);
      cleanup.defer('close events queue', () => events.close());
      const reset = (): Promise<void> => events.obliterate({ force: true });

      const makeEvent = loginEventMaker(APP_ID);
      const publishOne = async (): Promise<void> => {
        await herald.publish(makeEvent());
      };
      // One round: publish `count` events, then empty the queue outside the timed part.
      const timed = (label: string, count: number, produce: () => Promise<void>): Promise<number> =>
        medianOfRounds(`herald ${label}, events/s`, ctx.log, async () => {
          const started = performance.now();
          await produce();
          const perS = perSecond(count, performance.now() - started);
          await reset();
          return perS;
        });

      for (let i = 0; i < WARMUP_EVENTS; i += 1) await publishOne();
      await reset();

      const sequentialPerS = await timed('publish sequential', SEQUENTIAL_EVENTS, async () => {
        for (let i = 0; i < SEQUENTIAL_EVENTS; i += 1) await publishOne();
      });
      const inFlightPerS = await timed(`publish ${IN_FLIGHT} in flight`, IN_FLIGHT_EVENTS, async () => {
        let claimed = 0;
        const lane = async (): Promise<void> => {
          while (claimed < IN_FLIGHT_EVENTS) {
            claimed += 1;
            await publishOne();
          }
        };
        await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
      });
      const batchPerS = await timed(`publishBatch ${BATCH_SIZE}`, BATCH_EVENTS, async () => {
        await publishInBatches(herald, makeEvent, BATCH_EVENTS, BATCH_SIZE);
      });

      const figures: Figure[] = [
        {
          key: 'herald_publish_seq_per_s',
          label: 'publish, sequential',
          value: sequentialPerS,
          unit: 'events/s',
        },
        {
          key: `herald_publish_inflight${IN_FLIGHT}_per_s`,
          label: `publish, ${IN_FLIGHT} in flight`,
          value: inFlightPerS,
          unit: 'events/s',
        },
        {
          key: 'herald_publish_batch_per_s',
          label: `publishBatch, ${BATCH_SIZE} per call`,
          value: batchPerS,
          unit: 'events/s',
        },
      ];
      return figures;
    }),
};
