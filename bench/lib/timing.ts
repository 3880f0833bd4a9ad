import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Polls `condition` until it holds; throws after `timeoutMs` so no wait can hang the run. */
export async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  describe: () => string,
  pollMs = 5,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await sleep(pollMs);
  }
}

export function rssMb(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}
