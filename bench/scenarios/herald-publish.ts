import { Queue } from 'bullmq';
import { QUEUE_NAMES, createRedisQueueBackend } from '@herald/queue';
import { deleteKeysWithPrefix } from '@herald/testkit';
import { addBulkInChunks, BENCH_JOB_OPTIONS, rawJobMaker } from '../lib/bullmq.js';
import { withCleanup } from '../lib/cleanup.js';
import { loginEventMaker, publishInBatches } from '../lib/login-events.js';
import type { Scenario } from '../lib/context.js';
import type { Figure } from '../lib/report.js';
import { medianOfRounds, percentile, timedRound } from '../lib/stats.js';

const median = (values: readonly number[]): number => percentile(values, 50);
import type { RawDeliveryData } from '../lib/webhook.js';
import { Herald } from '../lib/workspace.js';

// The same counts as raw-publish, so each figure has a like-for-like baseline.
const SEQUENTIAL_EVENTS = 5_000;
const IN_FLIGHT_EVENTS = 20_000;
const IN_FLIGHT = 64;
const BATCH_EVENTS = 20_000;
const BATCH_SIZE = 100;
const WARMUP_EVENTS = 500;
/**
 * publishBatch is measured in pairs with raw addBulk (the same counts, back to
 * back, taking turns at going first): the machine's drift and its neighbours'
 * load then hit both sides of a pair alike, and the median of the pairs'
 * ratios is the figure, not a quotient of medians taken a minute apart.
 */
const PAIRED_ROUNDS = 5;
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
        medianOfRounds(`herald ${label}, events/s`, ctx.log, () => timedRound(count, produce, reset));

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
      // The raw side: raw-publish's queue, job body and options, on this run's prefix.
      const raw = new Queue<RawDeliveryData>('{raw-publish}', {
        connection: admin,
        prefix: queuePrefix,
        defaultJobOptions: BENCH_JOB_OPTIONS,
      });
      cleanup.defer('close raw queue', () => raw.close());
      const makeRawJob = rawJobMaker();
      const heraldBatch = () =>
        timedRound(BATCH_EVENTS, () => publishInBatches(herald, makeEvent, BATCH_EVENTS, BATCH_SIZE), reset);
      const rawBulk = () =>
        timedRound(
          BATCH_EVENTS,
          () => addBulkInChunks(raw, makeRawJob, BATCH_EVENTS, BATCH_SIZE),
          () => raw.obliterate({ force: true }),
        );
      // Both sides' batch paths warmed up before the first pair.
      await rawBulk();
      await heraldBatch();
      const pairs: { herald: number; raw: number }[] = [];
      for (let round = 0; round < PAIRED_ROUNDS; round += 1) {
        if (round % 2 === 0) {
          const rawPerS = await rawBulk();
          pairs.push({ raw: rawPerS, herald: await heraldBatch() });
        } else {
          const heraldPerS = await heraldBatch();
          pairs.push({ herald: heraldPerS, raw: await rawBulk() });
        }
      }
      const show = (v: number) => Math.round(v).toLocaleString('en-US');
      ctx.log(
        `publishBatch ${BATCH_SIZE} vs raw addBulk ${BATCH_SIZE}, events/s (pairs): ` +
          pairs.map((p) => `${show(p.herald)}:${show(p.raw)}`).join(' / '),
      );
      const batchPerS = median(pairs.map((p) => p.herald));
      const rawBulkPerS = median(pairs.map((p) => p.raw));
      const batchRatio = median(pairs.map((p) => p.herald / p.raw));

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
        {
          key: 'raw_add_bulk_paired_per_s',
          label: `raw addBulk ${BATCH_SIZE}, paired with publishBatch`,
          value: rawBulkPerS,
          unit: 'jobs/s',
        },
        {
          key: 'ratio_publish_batch',
          label: `publishBatch ÷ raw addBulk, median of ${PAIRED_ROUNDS} pairs`,
          value: batchRatio,
          unit: 'x',
        },
      ];
      return figures;
    }),
};
