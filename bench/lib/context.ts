import type { Redis } from 'ioredis';
import type { Figure } from './report.js';

export interface BenchContext {
  /** BullMQ prefix unique to this run; every key the run writes starts with it. */
  readonly prefix: string;
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
