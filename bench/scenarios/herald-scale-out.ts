import type { Scenario } from '../lib/context.js';
import { withCleanup } from '../lib/cleanup.js';
import { settle, setUpDeliveryRun } from '../lib/delivery-run.js';
import type { WorkerProcess } from '../lib/herald-env.js';
import type { Figure } from '../lib/report.js';
import { percentile, perSecond, ROUNDS } from '../lib/stats.js';
import { waitUntil } from '../lib/timing.js';

/** Per process, as herald-pipeline runs its one worker: scaling out adds processes, not concurrency. */
const WORKER_CONCURRENCY = 200;
const WARMUP_EVENTS = 1_000;
const EVENTS_PER_ROUND = 5_000;
/** A round this slow means something is broken (5k at 250/s would be 20 s). */
const DRAIN_TIMEOUT_MS = 60_000;
/** Set-up to last check (~40 s on a quiet 2-core machine, ~70 s on a busy one); past this the run fails. */
const SCENARIO_BUDGET_MS = 240_000;

interface Round {
  perS: number;
  cpuUsPerDelivery: number;
}

/**
 * The same workload (events published with the client, fanned out and
 * delivered to the bench's sink) drained by one worker process, then by two
 * on the same queue. Every receipt is counted by event id, so a delivery lost
 * or made twice while two processes share the queue shows up, and compared
 * with what Postgres recorded.
 */
export const heraldScaleOut: Scenario = {
  name: 'herald-scale-out',
  run: (ctx) =>
    withCleanup(ctx.log, async (cleanup) => {
      const budgetEnds = performance.now() + SCENARIO_BUDGET_MS;
      const run = await setUpDeliveryRun(ctx, cleanup, 'so');
      const workers: WorkerProcess[] = [];
      const guard = (): void => {
        ctx.signal.throwIfAborted();
        for (const w of workers) w.assertAlive();
        if (performance.now() > budgetEnds) {
          throw new Error(`herald-scale-out went past its ${SCENARIO_BUDGET_MS / 1000} s budget`);
        }
      };
      const waitForSink = (): Promise<void> =>
        waitUntil(
          () => {
            guard();
            return run.ledger.received >= run.published.size;
          },
          DRAIN_TIMEOUT_MS,
          () => `sink received ${run.ledger.received}/${run.published.size}`,
        );
      const cpuMs = async (): Promise<number> =>
        (await Promise.all(workers.map((w) => w.cpuMs()))).reduce((a, b) => a + b, 0);

      const addWorker = async (): Promise<void> => {
        const started = performance.now();
        const worker = await run.startWorker(WORKER_CONCURRENCY);
        workers.push(worker);
        ctx.log(
          `herald-scale-out: worker ${workers.length} (pid ${worker.pid}) ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
        // Warm-up for the new process: JIT, pools, its webhook cache.
        await run.publishInBatches(WARMUP_EVENTS);
        await waitForSink();
      };

      const measure = async (): Promise<Round[]> => {
        const rounds: Round[] = [];
        for (let round = 0; round < ROUNDS; round += 1) {
          guard();
          // Fill the paused events queue, then time from resume to the last receipt.
          await run.engine.queues.events.pause();
          await run.publishInBatches(EVENTS_PER_ROUND);
          const cpuBefore = await cpuMs();
          const started = performance.now();
          await run.engine.queues.events.resume();
          await waitForSink();
          const perS = perSecond(EVENTS_PER_ROUND, run.ledger.lastReceivedAt - started);
          rounds.push({ perS, cpuUsPerDelivery: ((await cpuMs()) - cpuBefore) * (1000 / EVENTS_PER_ROUND) });
        }
        ctx.log(
          `herald-scale-out, ${workers.length} worker(s): ` +
            rounds.map((r) => `${Math.round(r.perS)}/s ${Math.round(r.cpuUsPerDelivery)} µs`).join(' · '),
        );
        return rounds;
      };

      await addWorker();
      const one = await measure();
      await addWorker();
      const two = await measure();

      const outcome = await settle(run, guard);
      ctx.log(`herald-scale-out: ${outcome.summary}`);
      const median = (rounds: Round[], pick: (r: Round) => number) => percentile(rounds.map(pick), 50);
      const figures: Figure[] = [
        {
          key: 'scaleout_1w_per_s',
          label: `drain with 1 worker process (concurrency ${WORKER_CONCURRENCY})`,
          value: median(one, (r) => r.perS),
          unit: 'deliveries/s',
        },
        {
          key: 'scaleout_2w_per_s',
          label: `drain with 2 worker processes (concurrency ${WORKER_CONCURRENCY} each)`,
          value: median(two, (r) => r.perS),
          unit: 'deliveries/s',
        },
        {
          key: 'scaleout_1w_cpu_us_per_delivery',
          label: 'worker CPU per delivery, 1 process',
          value: median(one, (r) => r.cpuUsPerDelivery),
          unit: 'µs',
        },
        {
          key: 'scaleout_2w_cpu_us_per_delivery',
          label: 'worker CPU per delivery, 2 processes (summed)',
          value: median(two, (r) => r.cpuUsPerDelivery),
          unit: 'µs',
        },
        { key: 'scaleout_lost', label: 'deliveries lost', value: outcome.lost, unit: 'deliveries' },
        {
          key: 'scaleout_duplicated',
          label: 'deliveries received twice',
          value: outcome.duplicated,
          unit: 'deliveries',
        },
        {
          key: 'scaleout_ok',
          label: 'every event delivered once, Postgres agrees',
          value: outcome.ok ? 1 : 0,
          unit: 'flag',
        },
      ];
      return figures;
    }),
};
