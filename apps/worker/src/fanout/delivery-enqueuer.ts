import type { HeraldQueue } from '@herald/queue';
import { enqueueDeliveries, type DeliveryToEnqueue } from '@herald/engine';

interface Waiting {
  deliveries: readonly DeliveryToEnqueue[];
  priority: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Coalesces the delivery jobs of fan-outs that finish together (every event
 * of one group-commit batch resumes in the same turn of the event loop) into
 * one `addBulk` per priority: one Redis pipeline, one socket write, for the
 * whole batch instead of one per event. Each caller resolves once its own
 * jobs are in Redis; if the write fails, every caller of that flush rejects
 * (their fan-outs are retried, and fan-out is idempotent).
 */
export class DeliveryEnqueuer {
  readonly #queue: HeraldQueue;
  #waiting: Waiting[] = [];

  constructor(queue: HeraldQueue) {
    this.#queue = queue;
  }

  enqueue(deliveries: readonly DeliveryToEnqueue[], priority: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#waiting.length === 0) setImmediate(() => void this.#flush());
      this.#waiting.push({ deliveries, priority, resolve, reject });
    });
  }

  async #flush(): Promise<void> {
    const waiting = this.#waiting;
    this.#waiting = [];
    const byPriority = new Map<number, Waiting[]>();
    for (const w of waiting) {
      const group = byPriority.get(w.priority);
      if (group) group.push(w);
      else byPriority.set(w.priority, [w]);
    }
    await Promise.all(
      [...byPriority].map(async ([priority, group]) => {
        try {
          await enqueueDeliveries(
            this.#queue,
            group.flatMap((w) => w.deliveries),
            { priority },
          );
          for (const w of group) w.resolve();
        } catch (error) {
          for (const w of group) w.reject(error);
        }
      }),
    );
  }
}
