import type { Redis } from 'ioredis';
import type { Figure } from './report.js';

export interface BenchContext {
  /**
   * BullMQ prefix unique to this run; the harness deletes `<prefix>:*` at the
   * end. A scenario that writes under a prefix of its own (`<prefix>-x`)
   * deletes those keys itself.
   */
  readonly prefix: string;
  /**
   * Aborted on Ctrl-C / SIGTERM. Long waits check it so the scenario unwinds
   * through its cleanup instead of the process dying with a child or a
   * database left behind.
   */
  readonly signal: AbortSignal;
  /** Where the bench's Redis is, for child processes (Herald's worker) that connect themselves. */
  readonly redisUrl: string;
  /**
   * A new Redis connection for BullMQ (`maxRetriesPerRequest: null`, as
   * workers require). The harness closes it after the scenario returns, so
   * scenarios close only what they build on top (queues, workers, pools).
   */
  connect(name: string): Redis;
  /** Progress for humans: goes to stderr, never into the report. */
  readonly log: (message: string) => void;
}

/** A benchmark scenario. Delivery-engine scenarios plug in beside the raw ones. */
export interface Scenario {
  /** kebab-case, shown in the table (`raw-noop`). */
  readonly name: string;
  run(ctx: BenchContext): Promise<readonly Figure[]>;
}
