import { readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Db } from './workspace.js';

/** The application_name of the bench's own Postgres connections (createBenchDatabase). */
export const BENCH_APPLICATION_NAME = 'herald-bench';

/** Linux's USER_HZ (`getconf CLK_TCK`), the unit of /proc/<pid>/stat times, on every mainstream kernel. */
const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system) a process on this machine has used, in ms. */
export async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // After the parenthesised command name (which may hold spaces), utime and
  // stime (fields 14 and 15 of the line) are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`unreadable /proc/${pid}/stat`);
  return (ticks / CLOCK_TICKS_PER_S) * 1000;
}

/**
 * CPU used by the Postgres backends serving one database (local server only),
 * except the bench's own connections (their row counts are not the work measured):
 * what the rows a scenario writes cost the database, per process, so it can
 * be read beside the worker's own CPU, as pid → ms. Backends are listed at
 * each call (see cpuBetween for ones that come and go).
 */
export async function postgresCpuMs(db: Db, database: string): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity
    where datname = ${database} and application_name <> ${BENCH_APPLICATION_NAME}`.execute(db);
  const pids = rows.map((r) => r.pid);
  const cpu = await Promise.all(pids.map((pid) => processCpuMs(pid).catch(() => Number.NaN)));
  return new Map(pids.map((pid, i) => [pid, cpu[i]!] as const).filter(([, ms]) => Number.isFinite(ms)));
}

/**
 * CPU the backends used between two samples, in ms. One that started in
 * between counts from 0; one that ended in between is missed (pools here keep
 * their connections while busy, so it would have been idle).
 */
export function cpuBetween(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let ms = 0;
  for (const [pid, end] of after) ms += end - (before.get(pid) ?? 0);
  return ms;
}

/** The local Redis server's CPU, in ms (the pid it reports, read from /proc). */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('server');
  const match = /^process_id:(\d+)/m.exec(info);
  if (!match?.[1]) throw new Error('Redis INFO has no process_id');
  return processCpuMs(Number(match[1]));
}
