import { Queue } from 'bullmq';
import { addBulkInChunks, BENCH_JOB_OPTIONS, JOB_NAME, rawJobMaker } from '../lib/bullmq.js';
import type { Scenario } from '../lib/context.js';
import type { Figure } from '../lib/report.js';
import { medianOfRounds, timedRound } from '../lib/stats.js';
import type { RawDeliveryData } from '../lib/webhook.js';

const QUEUE_NAME = '{raw-publish}';
// Sequential adds are one round trip each (~4k/s): fewer of them keep the run short.
const SEQUENTIAL_JOBS = 5_000;
const IN_FLIGHT_JOBS = 20_000;
const IN_FLIGHT = 64;
const BULK_JOBS = 20_000;
const BULK_SIZE = 100;
const WARMUP_JOBS = 500;

/** Producer cost alone (no worker): what an API that enqueues one job per event can sustain. */
export const rawPublish: Scenario = {
  name: 'raw-publish',
  async run(ctx) {
    const queue = new Queue<RawDeliveryData>(QUEUE_NAME, {
      connection: ctx.connect(`${QUEUE_NAME}-queue`),
      prefix: ctx.prefix,
      defaultJobOptions: BENCH_JOB_OPTIONS,
    });
    const makeData = rawJobMaker();
    const addOne = async (): Promise<void> => {
      await queue.add(JOB_NAME, makeData());
    };
    // Nothing consumes these jobs: empty the queue between measurements so each
    // starts from the same Redis state and memory stays bounded.
    const reset = (): Promise<void> => queue.obliterate({ force: true });

    // One round: produce `count` jobs, then empty the queue outside the timed part.
    const timed = (label: string, count: number, produce: () => Promise<void>): Promise<number> =>
      medianOfRounds(`${label}, jobs/s`, ctx.log, () => timedRound(count, produce, reset));

    try {
      for (let i = 0; i < WARMUP_JOBS; i += 1) await addOne();
      await reset();

      const sequentialPerS = await timed('add sequential', SEQUENTIAL_JOBS, async () => {
        for (let i = 0; i < SEQUENTIAL_JOBS; i += 1) await addOne();
      });

      const inFlightPerS = await timed(`add ${IN_FLIGHT} in flight`, IN_FLIGHT_JOBS, async () => {
        let claimed = 0;
        // IN_FLIGHT lanes, each starting its next add as soon as its last one returned.
        const lane = async (): Promise<void> => {
          while (claimed < IN_FLIGHT_JOBS) {
            claimed += 1;
            await addOne();
          }
        };
        await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
      });

      const bulkPerS = await timed(`addBulk ${BULK_SIZE}`, BULK_JOBS, () =>
        addBulkInChunks(queue, makeData, BULK_JOBS, BULK_SIZE),
      );

      const figures: Figure[] = [
        { key: 'raw_add_seq_per_s', label: 'add, sequential', value: sequentialPerS, unit: 'jobs/s' },
        {
          key: `raw_add_inflight${IN_FLIGHT}_per_s`,
          label: `add, ${IN_FLIGHT} in flight`,
          value: inFlightPerS,
          unit: 'jobs/s',
        },
        {
          key: 'raw_add_bulk_per_s',
          label: `addBulk, ${BULK_SIZE} per call`,
          value: bulkPerS,
          unit: 'jobs/s',
        },
      ];
      return figures;
    } finally {
      await queue.close();
    }
  },
};
