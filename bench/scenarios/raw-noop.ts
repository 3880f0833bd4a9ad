import { createQueuePair, measureDrainPerSecond } from '../lib/bullmq.js';
import type { Scenario } from '../lib/context.js';

const QUEUE_NAME = '{raw-noop}';
const JOBS = 20_000;

/** BullMQ's own ceiling on this machine: everything a delivery adds is measured against it. */
export const rawNoop: Scenario = {
  name: 'raw-noop',
  async run(ctx) {
    const pair = createQueuePair(ctx, QUEUE_NAME, async () => {});
    try {
      let n = 0;
      // Same job data as the delivery scenarios, so only the processor differs.
      const { perS, cpuUsPerJob } = await measureDrainPerSecond(ctx, pair, JOBS, () => ({
        userId: `usr_${++n}`,
        enqueuedAtMs: performance.now(),
      }));
      return [
        { key: 'raw_noop_jobs_per_s', label: 'drain, no-op processor', value: perS, unit: 'jobs/s' },
        { key: 'raw_noop_cpu_us_per_job', label: 'process CPU per job', value: cpuUsPerJob, unit: 'µs' },
      ];
    } finally {
      await pair.close();
    }
  },
};
