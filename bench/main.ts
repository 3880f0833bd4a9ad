// `pnpm bench`: measures what the raw stack (BullMQ + HMAC + undici) does on
// this machine, so Herald's own figures can be read as ratios of it. Figures go
// to stdout (a table, or one JSON object with --json); progress goes to stderr.
import { deleteKeysWithPrefix, uniquePrefix } from '@herald/testkit';
import { Redis } from 'ioredis';
import { parseBenchArgs, UsageError, USAGE } from './lib/args.js';
import type { BenchContext, Scenario } from './lib/context.js';
import {
  checkTargets,
  computeRatios,
  describeMachine,
  formatJson,
  formatTable,
  type BenchReport,
  type ScenarioResult,
} from './lib/report.js';
import { createSoakScenario } from './scenarios/herald-soak.js';
import { RATIOS, SCENARIOS, TARGETS } from './scenarios/index.js';

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const CONNECT_TIMEOUT_MS = 5_000;

/** The URL as it may appear in logs: any password replaced. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * Runs one scenario with connections of its own and closes every one of them
 * afterwards, whether it succeeded or not, so the process can exit by itself.
 */
async function runScenario(
  scenario: Scenario,
  redisUrl: string,
  prefix: string,
  signal: AbortSignal,
): Promise<ScenarioResult> {
  const connections: Redis[] = [];
  const ctx: BenchContext = {
    prefix,
    redisUrl,
    signal,
    connect(name) {
      const connection = new Redis(redisUrl, {
        connectionName: `herald-bench:${name}`,
        maxRetriesPerRequest: null,
      });
      connections.push(connection);
      return connection;
    },
    log,
  };
  log(`${scenario.name}: running`);
  const started = performance.now();
  try {
    const figures = await scenario.run(ctx);
    log(`${scenario.name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return { scenario: scenario.name, figures };
  } finally {
    await Promise.all(connections.filter((c) => c.status !== 'end').map((c) => c.quit()));
  }
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = options.only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: unknown scenario ${unknown.join(', ')} (known: ${SCENARIOS.map((s) => s.name).join(', ')})\n${USAGE}`,
    );
    return 2;
  }
  const scenarios = options.soak
    ? [
        createSoakScenario({
          minutes: options.soakMinutes,
          rate: options.soakRate,
          workers: options.soakWorkers,
        }),
      ]
    : options.only.length === 0
      ? SCENARIOS
      : SCENARIOS.filter((s) => options.only.includes(s.name));

  const redisUrl = process.env['HERALD_BENCH_REDIS_URL'] ?? DEFAULT_REDIS_URL;
  // Fails fast when Redis is not there, instead of BullMQ's retry-forever.
  const admin = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    connectionName: 'herald-bench:admin',
  });
  // The event carries the cause (ECONNREFUSED…); connect() only rejects with "Connection is closed".
  let connectError: Error | undefined;
  admin.on('error', (error: Error) => {
    connectError ??= error;
  });
  try {
    await admin.connect();
  } catch (error) {
    admin.disconnect();
    const cause = connectError ?? (error instanceof Error ? error : new Error(String(error)));
    log(`cannot reach Redis at ${redactUrl(redisUrl)}: ${cause.message}`);
    return 1;
  }
  const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? 'unknown';

  const prefix = uniquePrefix();
  const started = performance.now();
  const results: ScenarioResult[] = [];
  log(`redis ${redactUrl(redisUrl)} (${redisVersion}), prefix ${prefix}`);
  // Ctrl-C or SIGTERM: scenarios that wait check this signal and unwind through
  // their cleanup (child processes, databases, keys); a second signal exits at once.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) process.exit(130);
    log(`${signal}: stopping and cleaning up (send it again to exit at once)`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (const scenario of scenarios) {
      interrupt.signal.throwIfAborted();
      results.push(await runScenario(scenario, redisUrl, prefix, interrupt.signal));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // The trailing ':' keeps the SCAN pattern to exactly this run's BullMQ keys.
    await deleteKeysWithPrefix(admin, `${prefix}:`);
    await admin.quit();
  }
  const ratios = computeRatios(results, RATIOS);
  if (ratios.figures.length > 0) results.push(ratios);

  const report: BenchReport = {
    machine: describeMachine(redisVersion),
    durationS: (performance.now() - started) / 1000,
    results,
    targets: checkTargets(results, TARGETS),
  };
  process.stdout.write(options.json ? formatJson(report) : formatTable(report));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
