import type { LimitStore } from '@herald/engine';

export interface RateLimiter {
  /** 0 when the request may go, else the wait in ms. */
  admit(keyId: string): Promise<number>;
}

/**
 * Per API key, shared by every admin process through the shared state (GCRA
 * on the store's own clock, so every process agrees): `perSecond` requests a
 * second on average, with a burst of one second's worth.
 */
export function createRateLimiter(limits: LimitStore, perSecond: number): RateLimiter {
  const interval = 1000 / perSecond;
  const tolerance = interval * (perSecond - 1);
  return {
    admit: (keyId) => limits.admitRate(`api-rate:{${keyId}}`, interval, tolerance),
  };
}
