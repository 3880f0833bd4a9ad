import { randomBytes } from 'node:crypto';
import { deleteKeysWithPrefix } from '@herald/testkit';
import { Pool } from 'undici';
import { withCleanup } from '../lib/cleanup.js';
import type { Scenario } from '../lib/context.js';
import { createBenchDatabase, startHeraldAdmin } from '../lib/herald-env.js';
import type { Figure } from '../lib/report.js';
import { perSecond } from '../lib/stats.js';
import { WEBHOOK_EVENT_TYPE } from '../lib/webhook.js';
import { CLI_ACTOR, createApiKey, createApp } from '../lib/workspace.js';

/** Events per `POST /api/v1/events/batch`, as herald-publish's publishBatch figure. */
const BATCH_SIZE = 100;
/** Requests in flight, one keep-alive connection each. */
const IN_FLIGHT = 8;
const WARMUP_EVENTS = 5_000;
/** The measured window ends at whichever comes first. */
const MEASURE_EVENTS = 100_000;
const MEASURE_MS = 10_000;
/** Distinct request bodies sent in turn (each event still gets an id of its own on the server). */
const DISTINCT_BODIES = 16;
/** Far above what one key can send here, so the limiter never answers 429. */
const API_RATE_LIMIT = 1_000_000;

const READY_TIMEOUT_MS = 60_000;
/** The whole scenario, set-up to cleanup (~25 s on a quiet 2-core machine). */
const SCENARIO_BUDGET_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;
/** Error bodies kept for the log. */
const KEPT_ERRORS = 3;

/** Extra node flags for the admin process, for profiling it under this load (see herald-pipeline). */
const ADMIN_NODE_ARGS = (process.env['HERALD_BENCH_ADMIN_NODE_ARGS'] ?? '').split(' ').filter(Boolean);

interface Tally {
  requests: number;
  accepted: number;
  errors: number;
}

/**
 * Herald's HTTP ingest as deployed: the real admin process (auth by API key,
 * rate limiter, JSON parse and validation, enqueue) taking batches of 100
 * events over keep-alive. No worker runs, so the events just queue. Compared
 * with the client's direct publishBatch (herald-publish) of the same size.
 */
export const heraldHttpIngest: Scenario = {
  name: 'herald-http-ingest',
  run: (ctx) =>
    withCleanup(ctx.log, async (cleanup) => {
      const budgetEnds = performance.now() + SCENARIO_BUDGET_MS;
      const queuePrefix = `${ctx.prefix}-hi`;
      const redis = ctx.connect('herald-http-ingest-admin');
      // Queued events and the rate limiter's keys all live under the prefix.
      cleanup.defer('delete queue keys', () => deleteKeysWithPrefix(redis, `${queuePrefix}:`));

      const database = await createBenchDatabase();
      cleanup.defer(`drop database ${database.name}`, () => database.drop());
      const { db } = database;
      ctx.log(`herald-http-ingest: database ${database.name}, queue prefix ${queuePrefix}`);
      const app = await createApp(db, CLI_ACTOR, { name: 'bench' });
      const { key } = await createApiKey(db, CLI_ACTOR, { appId: app.id });

      const adminStarted = performance.now();
      const admin = await startHeraldAdmin(
        {
          databaseUrl: database.url,
          redisUrl: ctx.redisUrl,
          queuePrefix,
          secretKey: randomBytes(32),
          apiRateLimit: API_RATE_LIMIT,
          nodeArgs: ADMIN_NODE_ARGS,
        },
        READY_TIMEOUT_MS,
      );
      cleanup.defer(`stop admin ${admin.pid}`, async () => {
        if ((await admin.stop(STOP_TIMEOUT_MS)) === 'killed') {
          ctx.log(`herald-http-ingest: admin ${admin.pid} ignored SIGTERM for ${STOP_TIMEOUT_MS} ms; killed`);
        }
      });
      ctx.log(
        `herald-http-ingest: admin pid ${admin.pid} on port ${admin.port}, ready in ` +
          `${((performance.now() - adminStarted) / 1000).toFixed(1)} s`,
      );

      const pool = new Pool(`http://127.0.0.1:${admin.port}`, {
        connections: IN_FLIGHT,
        pipelining: 1,
        keepAliveTimeout: 30_000,
      });
      // Registered after the admin's stop, so it runs before it: no request outlives the server.
      cleanup.defer('close HTTP pool', () => pool.destroy());

      // Built up front so the bench's own JSON work stays out of the measured window.
      let n = 0;
      const bodies = Array.from({ length: DISTINCT_BODIES }, () =>
        JSON.stringify({
          events: Array.from({ length: BATCH_SIZE }, () => ({
            type: WEBHOOK_EVENT_TYPE,
            data: { user_id: `usr_${++n}`, ip: '203.0.113.7', method: 'password' },
          })),
        }),
      );
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

      const guard = (): void => {
        ctx.signal.throwIfAborted();
        admin.assertAlive();
        if (performance.now() > budgetEnds) {
          throw new Error(`herald-http-ingest went past its ${SCENARIO_BUDGET_MS / 1000} s budget`);
        }
      };
      const errorSamples: string[] = [];
      const noteError = (what: string): void => {
        if (errorSamples.length < KEPT_ERRORS) errorSamples.push(what);
      };

      /** One batch; a 202 counts its ids as accepted, anything else (or no answer) is an error. */
      const postBatch = async (index: number, tally: Tally): Promise<void> => {
        tally.requests += 1;
        try {
          const response = await pool.request({
            method: 'POST',
            path: '/api/v1/events/batch',
            headers,
            body: bodies[index % DISTINCT_BODIES],
          });
          if (response.statusCode === 202) {
            const { ids } = (await response.body.json()) as { ids?: unknown };
            if (Array.isArray(ids)) {
              tally.accepted += ids.length;
              return;
            }
            noteError('202 without ids');
          } else {
            noteError(`${response.statusCode}: ${(await response.body.text()).slice(0, 200)}`);
          }
        } catch (error) {
          noteError(error instanceof Error ? error.message : String(error));
        }
        tally.errors += 1;
      };

      /** IN_FLIGHT lanes posting until `batches` were sent or `untilMs` passed; the time to the last answer. */
      const run = async (batches: number, untilMs: number): Promise<{ tally: Tally; elapsedMs: number }> => {
        const tally: Tally = { requests: 0, accepted: 0, errors: 0 };
        const started = performance.now();
        const deadline = started + untilMs;
        let claimed = 0;
        const lane = async (): Promise<void> => {
          while (claimed < batches && performance.now() < deadline) {
            guard();
            const index = claimed;
            claimed += 1;
            await postBatch(index, tally);
          }
        };
        await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
        return { tally, elapsedMs: performance.now() - started };
      };

      // Warm-up: JIT on both sides, the connections, the key lookup.
      const warmup = await run(WARMUP_EVENTS / BATCH_SIZE, READY_TIMEOUT_MS);
      if (warmup.tally.errors > 0) {
        ctx.log(`herald-http-ingest: warm-up had ${warmup.tally.errors} errors: ${errorSamples.join(' | ')}`);
      }
      const cpuBefore = await admin.cpuMs();
      const { tally, elapsedMs } = await run(MEASURE_EVENTS / BATCH_SIZE, MEASURE_MS);
      const cpuMs = (await admin.cpuMs()) - cpuBefore;
      const perS = perSecond(tally.accepted, elapsedMs);
      ctx.log(
        `herald-http-ingest: ${tally.accepted.toLocaleString('en-US')} events accepted in ${tally.requests} requests ` +
          `over ${(elapsedMs / 1000).toFixed(1)} s (${IN_FLIGHT} in flight), ${tally.errors} errors` +
          (errorSamples.length > 0 ? `; first: ${errorSamples.join(' | ')}` : ''),
      );
      const memory = await admin.memoryMb();

      const figures: Figure[] = [
        {
          key: 'herald_http_ingest_per_s',
          label: `POST /events/batch ×${BATCH_SIZE}, ${IN_FLIGHT} in flight (202s only)`,
          value: perS,
          unit: 'events/s',
        },
        {
          key: 'herald_http_ingest_errors',
          label: 'ingest requests not answered 202',
          value: tally.errors,
          unit: 'requests',
        },
        {
          key: 'herald_http_ingest_cpu_us_per_event',
          label: 'admin CPU per accepted event',
          value: tally.accepted > 0 ? (cpuMs * 1000) / tally.accepted : 0,
          unit: 'µs',
        },
        { key: 'admin_rss_mb', label: 'admin RSS at the end', value: memory.rss, unit: 'MB' },
      ];
      return figures;
    }),
};
