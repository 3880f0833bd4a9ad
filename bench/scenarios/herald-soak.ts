import { Pool } from 'undici';
import type { Scenario } from '../lib/context.js';
import { withCleanup } from '../lib/cleanup.js';
import { settle, setUpDeliveryRun } from '../lib/delivery-run.js';
import { startHeraldAdmin, type WorkerProcess } from '../lib/herald-env.js';
import type { Figure } from '../lib/report.js';
import { percentile, perSecond } from '../lib/stats.js';
import { sleep, waitUntil } from '../lib/timing.js';
import { WEBHOOK_EVENT_TYPE } from '../lib/webhook.js';
import { CLI_ACTOR, createApiKey } from '../lib/workspace.js';

export interface SoakOptions {
  readonly minutes: number;
  /** Events per second, each one `POST /api/v1/events`. */
  readonly rate: number;
  readonly workers: number;
}

/** HERALD_WORKER_CONCURRENCY's default: the soak runs workers as deployed. */
const WORKER_CONCURRENCY = 100;
/** Not recorded in the latencies: JIT, pools, caches. */
const WARMUP_S = 10;
const SAMPLE_EVERY_MS = 5_000;
const PROGRESS_EVERY_MS = 30_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
/** After the last publish, the backlog must drain within this. */
const SETTLE_TIMEOUT_MS = 60_000;
/** Keep-alive connections to the admin app. */
const CONNECTIONS = 16;
/** Requests started but not answered; past this the producer waits (and the rate shows it). */
const MAX_IN_FLIGHT = 1_000;

/**
 * Open loop: starts each request when the clock says it is due, without
 * waiting for earlier answers, so a slow admin app shows as latency rather
 * than as a lower offered rate. Bounded by MAX_IN_FLIGHT; when the system
 * cannot keep up, sending stops at twice the nominal duration. Resolves with
 * how many requests were sent.
 */
async function offerAtRate(
  ratePerS: number,
  total: number,
  sendOne: () => Promise<void>,
  guard: () => void,
): Promise<number> {
  const started = performance.now();
  const deadline = started + 2 * (total / ratePerS) * 1000;
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  while (sent < total && performance.now() < deadline) {
    guard();
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * ratePerS));
    while (sent < due && performance.now() < deadline) {
      if (inFlight.size >= MAX_IN_FLIGHT) {
        await Promise.race(inFlight);
        guard();
        continue;
      }
      const request: Promise<void> = sendOne().finally(() => inFlight.delete(request));
      inFlight.add(request);
      sent += 1;
    }
    await sleep(2);
  }
  await Promise.all(inFlight);
  return sent;
}

interface Tracked {
  readonly name: string;
  readonly process: WorkerProcess;
  startRssMb: number;
  endRssMb: number;
  maxRssMb: number;
  startCpuMs: number;
  endCpuMs: number;
}

/**
 * `pnpm bench --soak`: the admin app and worker processes as deployed, fed a
 * fixed rate of single-event `POST /api/v1/events` for minutes. Reports each
 * process's RSS at the start, at the end and its peak (a leak shows as end ≫
 * start), throughput, publish→receipt p50/p99, and lost/duplicated receipts
 * (by event id, checked against Postgres).
 */
export function createSoakScenario(options: SoakOptions): Scenario {
  const total = Math.round(options.minutes * 60 * options.rate);
  const measured = total - WARMUP_S * options.rate;
  if (measured <= 0) throw new RangeError(`a soak needs more than ${WARMUP_S} s of events`);
  return {
    name: 'herald-soak',
    run: (ctx) =>
      withCleanup(ctx.log, async (cleanup) => {
        const run = await setUpDeliveryRun(ctx, cleanup, 'soak');
        const { key } = await createApiKey(run.database.db, CLI_ACTOR, { appId: run.appId });
        const admin = await startHeraldAdmin(
          {
            databaseUrl: run.database.url,
            redisUrl: ctx.redisUrl,
            queuePrefix: run.queuePrefix,
            secretKey: run.secretKey,
            apiRateLimit: options.rate * 10,
          },
          READY_TIMEOUT_MS,
        );
        cleanup.defer(`stop admin ${admin.pid}`, async () => {
          if ((await admin.stop(STOP_TIMEOUT_MS)) === 'killed') {
            ctx.log(`herald-soak: admin ${admin.pid} ignored SIGTERM; killed`);
          }
        });
        const tracked: Tracked[] = [];
        const track = async (name: string, process: WorkerProcess): Promise<void> => {
          const rss = (await process.memoryMb()).rss;
          const cpu = await process.cpuMs();
          tracked.push({
            name,
            process,
            startRssMb: rss,
            endRssMb: rss,
            maxRssMb: rss,
            startCpuMs: cpu,
            endCpuMs: cpu,
          });
        };
        await track('admin', admin);
        for (let i = 1; i <= options.workers; i += 1) {
          await track(`worker${i}`, await run.startWorker(WORKER_CONCURRENCY));
        }
        ctx.log(
          `herald-soak: ${options.minutes} min at ${options.rate}/s (${total} events) through admin ` +
            `pid ${admin.pid} and ${options.workers} worker(s): ${tracked.map((t) => t.process.pid).join(', ')}`,
        );

        const pool = new Pool(`http://127.0.0.1:${admin.port}`, {
          connections: CONNECTIONS,
          pipelining: 1,
          keepAliveTimeout: 30_000,
        });
        // Registered after the admin's stop, so it runs first: no request outlives the server.
        cleanup.defer('close HTTP pool', () => pool.destroy());
        const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
        let refused = 0;
        let n = 0;
        const publishOne = async (): Promise<void> => {
          const body = JSON.stringify({
            type: WEBHOOK_EVENT_TYPE,
            data: { user_id: `usr_${++n}`, ip: '203.0.113.7', enqueued_at_ms: performance.now() },
          });
          try {
            const response = await pool.request({ method: 'POST', path: '/api/v1/events', headers, body });
            const answer = (await response.body.json()) as { id?: unknown };
            if (response.statusCode === 202 && typeof answer.id === 'string') run.published.add(answer.id);
            else refused += 1;
          } catch {
            // No answer (the admin restarting, a socket reset): counted, the soak goes on.
            refused += 1;
          }
        };

        const guard = (): void => {
          ctx.signal.throwIfAborted();
          for (const t of tracked) t.process.assertAlive();
        };
        const sample = async (): Promise<void> => {
          for (const t of tracked) {
            const { rss, peak } = await t.process.memoryMb();
            t.endRssMb = rss;
            t.maxRssMb = Math.max(t.maxRssMb, peak);
            t.endCpuMs = await t.process.cpuMs();
          }
        };
        const started = performance.now();
        run.ledger.recordLatencyFrom = started + WARMUP_S * 1000;
        let producing = true;
        const sampler = (async () => {
          let lastProgress = started;
          while (producing) {
            await sleep(SAMPLE_EVERY_MS);
            await sample().catch(() => undefined);
            if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
              lastProgress = performance.now();
              ctx.log(
                `herald-soak: ${Math.round((lastProgress - started) / 1000)} s, published ${run.published.size}, ` +
                  `received ${run.ledger.received}; RSS ${tracked.map((t) => `${t.name} ${t.endRssMb.toFixed(0)}`).join(', ')} MB`,
              );
            }
          }
        })();
        const sent = await offerAtRate(options.rate, total, publishOne, guard).finally(() => {
          producing = false;
        });
        const publishEnded = performance.now();
        await sampler;
        await waitUntil(
          () => {
            guard();
            return run.ledger.received >= run.published.size;
          },
          SETTLE_TIMEOUT_MS,
          () => `sink received ${run.ledger.received}/${run.published.size}`,
        );
        ctx.log(
          `herald-soak: last receipt ${Math.round(run.ledger.lastReceivedAt - publishEnded)} ms after the last publish`,
        );
        const outcome = await settle(run, guard);
        await sample();
        ctx.log(`herald-soak: ${outcome.summary}${refused > 0 ? `; ${refused} publishes refused` : ''}`);
        if (sent < total) {
          ctx.log(`herald-soak: could not keep up: sent ${sent} of ${total} by twice the nominal duration`);
        }

        const latencies = run.ledger.latenciesMs;
        const acceptedPerS = perSecond(run.published.size, publishEnded - started);
        const figures: Figure[] = [
          {
            key: 'soak_offered_per_s',
            label: `offered rate for ${options.minutes} min (POST /events)`,
            value: options.rate,
            unit: 'events/s',
          },
          {
            key: 'soak_published_per_s',
            label: 'accepted by the API, first → last publish',
            value: acceptedPerS,
            unit: 'events/s',
          },
          {
            key: 'soak_kept_up',
            label: `every event sent, accepted at ≥ 95 % of ${options.rate}/s`,
            value: sent === total && acceptedPerS >= 0.95 * options.rate ? 1 : 0,
            unit: 'flag',
          },
          {
            key: 'soak_delivered_per_s',
            label: 'delivered, first publish → last receipt',
            value: perSecond(run.ledger.received, run.ledger.lastReceivedAt - started),
            unit: 'deliveries/s',
          },
          { key: 'soak_p50_ms', label: 'p50 publish→receipt', value: percentile(latencies, 50), unit: 'ms' },
          { key: 'soak_p99_ms', label: 'p99 publish→receipt', value: percentile(latencies, 99), unit: 'ms' },
          ...tracked.flatMap((t): Figure[] => [
            {
              key: `soak_${t.name}_rss_start_mb`,
              label: `${t.name} RSS at start`,
              value: t.startRssMb,
              unit: 'MB',
            },
            {
              key: `soak_${t.name}_rss_end_mb`,
              label: `${t.name} RSS at end`,
              value: t.endRssMb,
              unit: 'MB',
            },
            {
              key: `soak_${t.name}_rss_max_mb`,
              label: `${t.name} RSS peak (VmHWM)`,
              value: t.maxRssMb,
              unit: 'MB',
            },
            {
              key: `soak_${t.name}_cpu_us_per_event`,
              label: `${t.name} CPU per event`,
              value: ((t.endCpuMs - t.startCpuMs) * 1000) / Math.max(1, run.published.size),
              unit: 'µs',
            },
          ]),
          { key: 'soak_refused', label: 'publishes refused by the API', value: refused, unit: 'requests' },
          { key: 'soak_lost', label: 'deliveries lost', value: outcome.lost, unit: 'deliveries' },
          {
            key: 'soak_duplicated',
            label: 'deliveries received twice',
            value: outcome.duplicated,
            unit: 'deliveries',
          },
          {
            key: 'soak_ok',
            label: 'every accepted event delivered once, Postgres agrees',
            value: outcome.ok && refused === 0 ? 1 : 0,
            unit: 'flag',
          },
        ];
        return figures;
      }),
  };
}
