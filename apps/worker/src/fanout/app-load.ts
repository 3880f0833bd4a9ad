/**
 * Per-process view of how many deliveries each app queued in the last
 * second. An app above `busyPerSecond` is "busy": its new deliveries queue
 * behind everyone else's first attempts (DELIVERY_PRIORITY.busyApp), so one
 * app's flood cannot starve the others. Every worker process judges on its
 * own share of the traffic, which is enough: a flood is large by definition.
 */
export class AppLoad {
  readonly #busyPerSecond: number;
  readonly #now: () => number;
  #second = 0;
  #counts = new Map<string, number>();
  #previous = new Map<string, number>();

  constructor(options: { busyPerSecond: number; now?: () => number }) {
    this.#busyPerSecond = options.busyPerSecond;
    this.#now = options.now ?? Date.now;
  }

  /** Counts `deliveries` for `appId` and says whether the app is busy now. */
  record(appId: string, deliveries: number): boolean {
    const second = Math.floor(this.#now() / 1000);
    if (second !== this.#second) {
      this.#previous = second === this.#second + 1 ? this.#counts : new Map<string, number>();
      this.#counts = new Map<string, number>();
      this.#second = second;
    }
    const count = (this.#counts.get(appId) ?? 0) + deliveries;
    this.#counts.set(appId, count);
    return count + (this.#previous.get(appId) ?? 0) > this.#busyPerSecond;
  }
}
