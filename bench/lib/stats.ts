/**
 * Nearest-rank percentile (p in 0..100): always one of the observed values,
 * so a p99 never reports a latency that no job actually had.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of an empty sample');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  const value = sorted[rank - 1];
  if (value === undefined) throw new Error(`percentile rank ${rank} out of range`);
  return value;
}

export function perSecond(count: number, elapsedMs: number): number {
  return count / (elapsedMs / 1000);
}

/** One timed round: `count` items made by `produce`, per second; `empty` then runs outside the timed part. */
export async function timedRound(
  count: number,
  produce: () => Promise<void>,
  empty: () => Promise<void>,
): Promise<number> {
  const started = performance.now();
  await produce();
  const perS = perSecond(count, performance.now() - started);
  await empty();
  return perS;
}

/**
 * How many times each throughput figure is measured. The reported value is
 * the median: one round disturbed by GC or by another process on a small
 * machine then moves no figure, while a real change moves all rounds.
 */
export const ROUNDS = 3;

/** Runs `measure` ROUNDS times, logs every round (the spread is worth seeing) and returns the median. */
export async function medianOfRounds(
  label: string,
  log: (message: string) => void,
  measure: () => Promise<number>,
): Promise<number> {
  const values: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) values.push(await measure());
  log(`${label}: ${values.map((v) => Math.round(v).toLocaleString('en-US')).join(' / ')} → median`);
  return percentile(values, 50);
}
