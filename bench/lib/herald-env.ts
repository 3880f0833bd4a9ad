import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dropDatabase, TEST_POSTGRES_URL, uniqueName } from '@herald/testkit';
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
  const db = createDb({ connectionString: url, maxConnections: 2, applicationName: 'herald-bench' });
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
  /** Extra node flags for the worker (`--cpu-prof --cpu-prof-dir=/tmp/prof`), for profiling runs. */
  readonly nodeArgs?: readonly string[];
}

export interface WorkerProcess {
  readonly pid: number;
  /** Throws (with the worker's last output) if the process has exited: no wait should outlive it. */
  assertAlive(): void;
  /** Resident and peak resident memory, from /proc/<pid>/status. */
  memoryMb(): Promise<{ rss: number; peak: number }>;
  /** User + system CPU time the process has used so far, from /proc/<pid>/stat. */
  cpuMs(): Promise<number>;
  /** SIGTERM by PID, wait for the exit; SIGKILL if it has not exited after `timeoutMs`. */
  stop(timeoutMs: number): Promise<'exited' | 'killed'>;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER_ENTRY = 'apps/worker/src/main.ts';
const READY_LINE = /"msg":"worker started"/;
/** Output kept for error messages; the worker logs a few lines at info, but never grow without bound. */
const KEPT_OUTPUT_CHARS = 16_384;
/** Linux's USER_HZ (`getconf CLK_TCK`), the unit of /proc/<pid>/stat times, on every mainstream kernel. */
const CLOCK_TICKS_PER_S = 100;

/**
 * Herald's real worker entry point (`node --import tsx apps/worker/src/main.ts`,
 * as `pnpm worker` runs it) as its own process, with nothing from the bench's
 * environment but PATH and HOME. Resolves once it logged `worker started`
 * (its queue workers are connected). The log level is `info` because that is
 * the line's level; the worker logs nothing at info on the success path.
 */
export async function startHeraldWorker(
  options: WorkerOptions,
  readyTimeoutMs: number,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', WORKER_ENTRY], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      NODE_ENV: 'production',
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      HERALD_QUEUE_PREFIX: options.queuePrefix,
      HERALD_WORKER_PORT: '0',
      HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
      HERALD_WORKER_CONCURRENCY: String(options.concurrency),
      HERALD_SECRET_KEY: options.secretKey.toString('base64'),
      HERALD_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${WORKER_ENTRY}`);
  let output = '';
  let ready = false;
  let onReady: (() => void) | undefined;
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-KEPT_OUTPUT_CHARS);
    if (!ready && READY_LINE.test(output)) {
      ready = true;
      onReady?.();
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
    `the Herald worker (pid ${pid}) exited (${exitedWith ?? '?'}):\n${output.trimEnd().split('\n').slice(-20).join('\n')}`;

  const worker: WorkerProcess = {
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
    async cpuMs() {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // After the parenthesised command name (which may hold spaces), utime and
      // stime (fields 14 and 15 of the line) are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      if (!Number.isFinite(ticks)) throw new Error(`unreadable /proc/${pid}/stat`);
      return (ticks / CLOCK_TICKS_PER_S) * 1000;
    },
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
        () => reject(new Error(`the Herald worker did not log "worker started" within ${readyTimeoutMs} ms`)),
        readyTimeoutMs,
      );
      onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      if (ready) onReady();
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(describeExit()));
      });
    });
  } catch (error) {
    await worker.stop(5_000);
    throw error;
  }
  return worker;
}
