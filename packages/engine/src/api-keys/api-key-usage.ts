import { sql } from 'kysely';
import type { Db } from '@herald/db';

/** `last_used_at` is coarse on purpose: one write per key per this long, not one per request. */
export const API_KEY_USAGE_RESOLUTION_MS = 60_000;

/**
 * Records that a key was used, cheaply: a process writes a key's
 * `last_used_at` at most once per resolution (remembered in memory), and the
 * update itself is skipped by Postgres when another process wrote it lately.
 */
export function createApiKeyUsageTracker(
  db: Db,
  options: { resolutionMs?: number; now?: () => number; onError?: (error: unknown) => void } = {},
): { touch(keyId: string): Promise<void> } {
  const resolutionMs = options.resolutionMs ?? API_KEY_USAGE_RESOLUTION_MS;
  const now = options.now ?? Date.now;
  const lastWritten = new Map<string, number>();
  return {
    async touch(keyId) {
      const at = now();
      const last = lastWritten.get(keyId);
      if (last !== undefined && at - last < resolutionMs) return;
      lastWritten.set(keyId, at);
      // Bounded memory: forget keys not seen for a while.
      if (lastWritten.size > 10_000) {
        for (const [id, t] of lastWritten) if (at - t >= resolutionMs) lastWritten.delete(id);
      }
      try {
        await db
          .updateTable('api_keys')
          .set({ last_used_at: sql`now()` })
          .where('id', '=', keyId)
          .where((eb) =>
            eb.or([
              eb('last_used_at', 'is', null),
              eb('last_used_at', '<', sql<Date>`now() - make_interval(secs => ${resolutionMs / 1000})`),
            ]),
          )
          .execute();
      } catch (error) {
        lastWritten.delete(keyId);
        options.onError?.(error);
      }
    },
  };
}
