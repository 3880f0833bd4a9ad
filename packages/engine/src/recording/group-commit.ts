export interface GroupCommitOptions<T, R> {
  /** Writes a whole batch in one transaction; returns one result per item, in order. */
  write(items: T[]): Promise<R[]>;
  maxBatch?: number;
  /**
   * Batches written at once (default 1). With 2, the next batch starts while
   * the previous one commits, so a caller waits about one write, not up to two.
   * Items of different batches may then commit in either order.
   */
  maxInFlight?: number;
  /**
   * How long a small batch may wait for company (default 0: none). A batch
   * that would start with fewer than `lingerBelow` items waits until its
   * oldest item is `lingerMs` old, so at a low rate several callers share one
   * statement and one commit instead of paying for one each (what Postgres'
   * own commit_delay does for WAL flushes). A busy committer never waits:
   * its batches are large.
   */
  lingerMs?: number;
  /** Batch size that starts at once, however young its items (default 32). */
  lingerBelow?: number;
  /** Errors worth waiting out (connection lost, server restarting); others fail the items. */
  isTransient?: (error: unknown) => boolean;
  onRetry?: (error: unknown, delayMs: number, batchSize: number) => void;
  /** After each committed batch: its size, how long its oldest item waited (ms), and the results. */
  onBatch?: (size: number, oldestWaitMs: number, results: readonly R[]) => void;
  sleep?: (ms: number) => Promise<void>;
}

interface Pending<T, R> {
  item: T;
  /** performance.now() at submit; 0 when nobody needs it (no onBatch, no linger). */
  at: number;
  resolve(result: R): void;
  reject(error: unknown): void;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Postgres connection-class errors and client-side socket failures. */
export function isTransientDbError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return true; // no SQLSTATE: the connection itself failed
  return (
    code.startsWith('08') || // connection exception
    code.startsWith('53') || // insufficient resources
    code.startsWith('57P') || // admin shutdown, crash shutdown, cannot connect now
    code === '40001' || // serialization failure
    code === '40P01' || // deadlock
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)
  );
}

/**
 * Group commit: callers submit one item each and wait for the batch that
 * holds it to commit. Up to `maxInFlight` batches are written at a time; a
 * new one starts as soon as a slot is free, with everything that queued
 * meanwhile. So Postgres sees one transaction per batch, yet no caller is
 * acknowledged before its row is durable. A transient failure retries the
 * same batch with backoff (the callers wait: workers slow down, nothing is
 * dropped); any other failure splits the batch to find and fail only the bad item.
 */
export class GroupCommitter<T, R> {
  readonly #options: Required<Omit<GroupCommitOptions<T, R>, 'onRetry' | 'onBatch'>> &
    Pick<GroupCommitOptions<T, R>, 'onRetry' | 'onBatch'>;
  #queue: Pending<T, R>[] = [];
  readonly #writing = new Set<Promise<void>>();
  /** Whether items need their submit time (onBatch reports the wait; the linger counts from it). */
  readonly #timed: boolean;
  #scheduled = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #batches = 0;
  #items = 0;

  constructor(options: GroupCommitOptions<T, R>) {
    this.#options = {
      maxBatch: 500,
      maxInFlight: 1,
      lingerMs: 0,
      lingerBelow: 32,
      isTransient: isTransientDbError,
      sleep: defaultSleep,
      ...options,
    };
    this.#timed = this.#options.onBatch !== undefined || this.#options.lingerMs > 0;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, at: this.#timed ? performance.now() : 0, resolve, reject });
      if (this.#scheduled || this.#writing.size >= this.#options.maxInFlight) return;
      this.#scheduled = true;
      // Yield once so callers submitting in the same tick share the batch.
      queueMicrotask(() => {
        this.#scheduled = false;
        this.#start();
      });
    });
  }

  /** Resolves when everything submitted so far is written. */
  async flush(): Promise<void> {
    while (this.#writing.size > 0 || this.#queue.length > 0) {
      if (this.#writing.size === 0) this.#start(true);
      await Promise.all(this.#writing);
    }
  }

  get stats(): { batches: number; items: number; queued: number; writing: number } {
    return {
      batches: this.#batches,
      items: this.#items,
      queued: this.#queue.length,
      writing: this.#writing.size,
    };
  }

  /** Starts batches while slots are free; `now` skips the linger (flush). */
  #start(now = false): void {
    while (this.#writing.size < this.#options.maxInFlight && this.#queue.length > 0) {
      const wait = now ? 0 : this.#lingerLeftMs();
      if (wait > 0) {
        this.#lingerTimer ??= setTimeout(() => {
          this.#lingerTimer = undefined;
          this.#start();
        }, wait);
        return;
      }
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = undefined;
      const batch = this.#queue.splice(0, this.#options.maxBatch);
      const writing: Promise<void> = this.#writeWithRetry(batch)
        .catch((error: unknown) => {
          for (const p of batch) p.reject(error);
        })
        .finally(() => {
          this.#writing.delete(writing);
          this.#start();
        });
      this.#writing.add(writing);
    }
  }

  /** How much longer the next batch should wait for more items (≤ 0: start it). */
  #lingerLeftMs(): number {
    const { lingerMs, lingerBelow } = this.#options;
    if (lingerMs <= 0 || this.#queue.length >= lingerBelow) return 0;
    return this.#queue[0]!.at + lingerMs - performance.now();
  }

  async #writeWithRetry(batch: Pending<T, R>[]): Promise<void> {
    let delayMs = 100;
    for (;;) {
      let results: R[];
      try {
        results = await this.#options.write(batch.map((p) => p.item));
      } catch (error) {
        if (this.#options.isTransient(error)) {
          this.#options.onRetry?.(error, delayMs, batch.length);
          await this.#options.sleep(delayMs);
          delayMs = Math.min(delayMs * 2, 5_000);
          continue;
        }
        if (batch.length === 1) {
          batch[0]!.reject(error);
          return;
        }
        const half = Math.ceil(batch.length / 2);
        await this.#writeWithRetry(batch.slice(0, half));
        await this.#writeWithRetry(batch.slice(half));
        return;
      }
      this.#batches++;
      this.#items += batch.length;
      batch.forEach((p, i) => p.resolve(results[i]!));
      this.#options.onBatch?.(batch.length, performance.now() - batch[0]!.at, results);
      return;
    }
  }
}

/**
 * Runs a transaction again when Postgres picked it as a deadlock victim
 * (40P01) or a serialization failure (40001): both are safe to retry whole.
 */
export async function retryOnConflict<T>(run: () => Promise<T>, tries = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (attempt >= tries || (code !== '40P01' && code !== '40001')) throw error;
      await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
    }
  }
}
