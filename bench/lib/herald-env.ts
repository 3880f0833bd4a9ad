import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { nodeArgsFor } from '@herald/core';
import { dropDatabase, TEST_POSTGRES_URL, uniqueName } from '@herald/testkit';
import { BENCH_APPLICATION_NAME, processCpuMs } from './cpu.js';
import { createDb, migrateDatabase, withDatabaseName, type Db } from './workspace.js';

/**
 * The Postgres server the Herald scenarios create their database on: the test
 * kit's (`HERALD_TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432),
 * because the test kit's `dropDatabase` is what removes it again.
 */
export const BENCH_POSTGRES_URL = TEST_POSTGRES_URL;

export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  /** A small pool for setup and for counting committed rows. */
  readonly db: Db;
  /** Closes the pool and drops the database (`with (force)`, so a live worker cannot block it). */
  drop(): Promise<void>;
}

/** A fresh database migrated with the real migrations (`herald_bench_<time>_<rand>`). */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = uniqueName('herald_bench');
  const url = withDatabaseName(BENCH_POSTGRES_URL, name);
  try {
    await migrateDatabase(url);
  } catch (error) {
    // The database may exist half-migrated: never leave it behind.
    await dropDatabase(name);
    throw error;
  }
  const db = createDb({ connectionString: url, maxConnections: 2, applicationName: BENCH_APPLICATION_NAME });
  return {
    name,
    url,
    db,
    async drop() {
      try {
        await db.destroy();
      } finally {
        await dropDatabase(name);
      }
    },
  };
}

export interface WorkerOptions {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  /** The 32-byte key the bench encrypted the webhook secret with. */
  readonly secretKey: Buffer;
  readonly concurrency: number;
  /** HERALD_QUEUE_BACKEND (default redis); with postgres the worker never connects to Redis. */
  readonly queueBackend?: 'redis' | 'postgres';
  /** Extra node flags for the worker (`--cpu-prof --cpu-prof-dir=/tmp/prof`), for profiling runs. */
  readonly nodeArgs?: readonly string[];
}

export interface WorkerProcess {
  readonly pid: number;
  /** Throws (with the process's last output) if it has exited: no wait should outlive it. */
  assertAlive(): void;
  /** Resident and peak resident memory, from /proc/<pid>/status. */
  memoryMb(): Promise<{ rss: number; peak: number }>;
  /** User + system CPU time the process has used so far, from /proc/<pid>/stat. */
  cpuMs(): Promise<number>;
  /** SIGTERM by PID, wait for the exit; SIGKILL if it has not exited after `timeoutMs`. */
  stop(timeoutMs: number): Promise<'exited' | 'killed'>;
}

/** The admin app as a child process: the same handle, plus the port it listens on. */
export interface AdminProcess extends WorkerProcess {
  /** The port from its `admin listening` line (it was started with PORT=0). */
  readonly port: number;
}

export interface AdminOptions {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  readonly secretKey: Buffer;
  /** Requests/s per API key (HERALD_API_RATE_LIMIT): set high so the limiter never answers 429. */
  readonly apiRateLimit: number;
  readonly nodeArgs?: readonly string[];
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER_ENTRY = 'apps/worker/src/main.ts';
const WORKER_READY_LINE = /"msg":"worker started"/;
const ADMIN_ENTRY = 'apps/admin/src/main.ts';
const ADMIN_READY_LINE = /"msg":"admin listening"/;
/** Output kept for error messages; the worker logs a few lines at info, but never grow without bound. */
const KEPT_OUTPUT_CHARS = 16_384;

/**
 * Herald's real worker entry point (`node scripts/run-compiled.mjs apps/worker/src/main.ts`,
 * as `pnpm worker` runs it) as its own process, with nothing from the bench's
 * environment but PATH and HOME. Resolves once it logged `worker started`
 * (its queue workers are connected). The log level is `info`, as deployed: the
 * worker logs one line per delivery outcome there (kept only as the last 16 KiB).
 */
export async function startHeraldWorker(
  options: WorkerOptions,
  readyTimeoutMs: number,
): Promise<WorkerProcess> {
  const { process: worker } = await startHeraldProcess(
    {
      what: 'the Herald worker',
      entry: WORKER_ENTRY,
      readyLine: WORKER_READY_LINE,
      nodeArgs: options.nodeArgs ?? [],
      env: {
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
        // Postgres-only mode refuses a prefix (the database is the namespace).
        ...(options.queueBackend === 'postgres' ? {} : { HERALD_QUEUE_PREFIX: options.queuePrefix }),
        HERALD_WORKER_PORT: '0',
        HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
        HERALD_WORKER_CONCURRENCY: String(options.concurrency),
        HERALD_QUEUE_BACKEND: options.queueBackend ?? 'redis',
        HERALD_SECRET_KEY: options.secretKey.toString('base64'),
        HERALD_LOG_LEVEL: 'info',
      },
    },
    readyTimeoutMs,
  );
  return worker;
}

/**
 * Herald's admin app (`node --import tsx apps/admin/src/main.ts`, as `pnpm admin`
 * runs it) as its own process, on a port the kernel picks (PORT=0, so no race
 * for a free one). Resolves once it logged `admin listening`; it answers on
 * 127.0.0.1 at `port`. Never migrates: the database must be migrated already.
 */
export async function startHeraldAdmin(options: AdminOptions, readyTimeoutMs: number): Promise<AdminProcess> {
  const { process: admin, readyLine } = await startHeraldProcess(
    {
      what: 'the Herald admin app',
      entry: ADMIN_ENTRY,
      readyLine: ADMIN_READY_LINE,
      nodeArgs: options.nodeArgs ?? [],
      env: {
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
        HERALD_QUEUE_PREFIX: options.queuePrefix,
        PORT: '0',
        HERALD_SECRET_KEY: options.secretKey.toString('base64'),
        HERALD_API_RATE_LIMIT: String(options.apiRateLimit),
        HERALD_LOG_LEVEL: 'info',
      },
    },
    readyTimeoutMs,
  );
  let port: unknown;
  try {
    port = (JSON.parse(readyLine) as { port?: unknown }).port;
  } catch {
    port = undefined;
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1) {
    await admin.stop(5_000);
    throw new Error(`no port in the admin's ready line: ${readyLine}`);
  }
  return { ...admin, port };
}

interface ProcessSpec {
  /** For messages: `the Herald worker`. */
  readonly what: string;
  readonly entry: string;
  /** Matched against each output line; the first match means ready. */
  readonly readyLine: RegExp;
  readonly nodeArgs: readonly string[];
  /** Herald's settings; PATH, HOME and NODE_ENV=production are added. */
  readonly env: Readonly<Record<string, string>>;
}

/** Spawns a Herald entry point and resolves with its handle and the line that said it was ready. */
async function startHeraldProcess(
  spec: ProcessSpec,
  readyTimeoutMs: number,
): Promise<{ process: WorkerProcess; readyLine: string }> {
  const child = spawn(process.execPath, nodeArgsFor(spec.entry, spec.nodeArgs), {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      NODE_ENV: 'production',
      ...spec.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${spec.entry}`);
  let output = '';
  let readyLine: string | undefined;
  let onReady: (() => void) | undefined;
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-KEPT_OUTPUT_CHARS);
    if (readyLine === undefined && spec.readyLine.test(output)) {
      // The whole line, once it is complete (a chunk may end mid-line).
      readyLine = output
        .split('\n')
        .find((line, i, lines) => i < lines.length - 1 && spec.readyLine.test(line));
      if (readyLine !== undefined) onReady?.();
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exitedWith: string | undefined;
  const exited = new Promise<NodeJS.Signals | null>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedWith = signal ?? `code ${code}`;
      resolve(signal);
    });
  });
  const describeExit = (): string =>
    `${spec.what} (pid ${pid}) exited (${exitedWith ?? '?'}):\n${output.trimEnd().split('\n').slice(-20).join('\n')}`;

  const handle: WorkerProcess = {
    pid,
    assertAlive() {
      if (exitedWith !== undefined) throw new Error(describeExit());
    },
    async memoryMb() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string): number => {
        const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
        if (!match?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
        return Number(match[1]);
      };
      return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
    },
    cpuMs: () => processCpuMs(pid),
    async stop(timeoutMs) {
      if (exitedWith !== undefined) return 'exited';
      // This process only, by its PID. It may be exiting already (Ctrl-C reaches
      // the whole process group), so a signal to a PID that is gone is ignored.
      const signal = (name: NodeJS.Signals): void => {
        try {
          process.kill(pid, name);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      };
      signal('SIGTERM');
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        signal('SIGKILL');
      }, timeoutMs);
      await exited;
      clearTimeout(timer);
      return killed ? 'killed' : 'exited';
    },
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`${spec.what} did not log ${spec.readyLine.source} within ${readyTimeoutMs} ms`)),
        readyTimeoutMs,
      );
      onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      if (readyLine !== undefined) onReady();
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(describeExit()));
      });
    });
  } catch (error) {
    await handle.stop(5_000);
    throw error;
  }
  return { process: handle, readyLine: readyLine ?? '' };
}
