import { sleep } from './timing.js';

/** The steady load every latency scenario runs at, so their p50/p99 compare like with like. */
export const LATENCY_RATE_PER_S = 500;
/** Not recorded: pays for JIT and for opening sockets. */
export const LATENCY_WARMUP_S = 1;
export const LATENCY_MEASURE_S = 10;

/**
 * Calls `sendOne` `total` times at a steady `ratePerS`. Each tick starts
 * whatever is due by the clock, so timer jitter delays a call by a millisecond
 * or two instead of lowering the rate; the deadline (twice the nominal
 * duration) bounds the loop if the receiving side cannot keep up.
 */
export async function produceAtRate(
  ratePerS: number,
  total: number,
  sendOne: () => Promise<unknown>,
): Promise<void> {
  const started = performance.now();
  const deadline = started + 2 * (total / ratePerS) * 1000;
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    if (now > deadline) throw new Error(`producer fell behind: ${sent}/${total} sent by the deadline`);
    const due = Math.min(total, Math.floor(((now - started) / 1000) * ratePerS));
    const calls: Promise<unknown>[] = [];
    for (; sent < due; sent += 1) calls.push(sendOne());
    await Promise.all(calls);
    await sleep(1);
  }
}
