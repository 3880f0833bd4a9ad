/** A platform's own rate limit, as the fakes enforce it: at most `max` requests in any `perMs`. */
export interface FakeRateLimit {
  max: number;
  perMs: number;
}

/**
 * A sliding window over arrival times. `check` records the arrival and
 * returns null when it fits, else how long (ms) until it would have.
 */
export function createRateWindow(limit: FakeRateLimit | undefined, now: () => number = Date.now) {
  const arrivals: number[] = [];
  return {
    check(): number | null {
      if (!limit) return null;
      const t = now();
      while (arrivals.length > 0 && arrivals[0]! <= t - limit.perMs) arrivals.shift();
      if (arrivals.length >= limit.max) return arrivals[0]! + limit.perMs - t;
      arrivals.push(t);
      return null;
    },
  };
}
