import type { RedisConnection } from '@herald/queue';

// GCRA on one key holding the "theoretical arrival time" (ms). Redis's own
// clock is used so every admin process agrees. Returns 0 when admitted, else
// how many ms until a request would be.
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return math.ceil(wait) end
local nextTat = tat + interval
redis.call('SET', KEYS[1], tostring(nextTat), 'PX', math.ceil(nextTat - now) + 1000)
return 0
`;

type WithAdmit = RedisConnection & {
  heraldApiRateAdmit(key: string, intervalMs: number, toleranceMs: number): Promise<number>;
};

export interface RateLimiter {
  /** 0 when the request may go, else the wait in ms. */
  admit(keyId: string): Promise<number>;
}

/**
 * Per API key, shared by every admin process through Redis: `perSecond`
 * requests a second on average, with a burst of one second's worth.
 */
export function createRateLimiter(
  redis: RedisConnection,
  queuePrefix: string,
  perSecond: number,
): RateLimiter {
  redis.defineCommand('heraldApiRateAdmit', { numberOfKeys: 1, lua: ADMIT });
  const r = redis as WithAdmit;
  const interval = 1000 / perSecond;
  const tolerance = interval * (perSecond - 1);
  return {
    async admit(keyId) {
      return Number(await r.heraldApiRateAdmit(`${queuePrefix}:api-rate:{${keyId}}`, interval, tolerance));
    },
  };
}
