import type { RedisConnection } from '@herald/queue';
import type {
  ChangeSubscription,
  GateAdmitInput,
  GateAdmitResult,
  GateState,
  GateStore,
  LimitStore,
  SharedState,
  WebhookChangeFeed,
} from './shared-state.js';

// One hash per webhook holds everything all workers share about it:
//   failures     consecutive failed attempts (429s excluded)
//   open_until   ms; the circuit is open until then
//   probe        ms; when the half-open probe was let through
//   tat          ms; GCRA "theoretical arrival time" for the rate limit
//   pause_until  ms; set by 429 Retry-After
// The webhook id is the key's hash tag, so Redis Cluster keeps it on one slot.
const GATE_ADMIT = `
local h = redis.call('HMGET', KEYS[1], 'failures', 'open_until', 'probe', 'tat', 'pause_until')
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local probe_ms = tonumber(ARGV[4])
local failures = tonumber(h[1]) or 0
local open_until = tonumber(h[2]) or 0
local pause_until = tonumber(h[5]) or 0
if pause_until > now then return {pause_until, failures, 1} end
local wrote = false
if open_until > 0 then
  if now < open_until then return {open_until, failures, 2} end
  local probe = tonumber(h[3]) or 0
  if probe > 0 and now - probe < probe_ms then return {probe + probe_ms, failures, 2} end
  redis.call('HSET', KEYS[1], 'probe', now)
  wrote = true
end
if interval > 0 then
  local tat = math.max(tonumber(h[4]) or now, now)
  if tat - tolerance > now then return {tat - tolerance, failures, 3} end
  redis.call('HSET', KEYS[1], 'tat', tat + interval)
  wrote = true
end
if wrote then redis.call('PEXPIRE', KEYS[1], 86400000) end
return {0, failures, 0}
`;

const GATE_FAILURE = `
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local threshold = tonumber(ARGV[2])
if threshold > 0 and failures >= threshold then
  redis.call('HSET', KEYS[1], 'open_until', tonumber(ARGV[1]) + tonumber(ARGV[3]))
  redis.call('HDEL', KEYS[1], 'probe')
end
redis.call('PEXPIRE', KEYS[1], 86400000)
return failures
`;

const GATE_SUCCESS = `
redis.call('HDEL', KEYS[1], 'failures', 'open_until', 'probe')
return 0
`;

const GATE_PAUSE = `
local current = tonumber(redis.call('HGET', KEYS[1], 'pause_until')) or 0
if tonumber(ARGV[1]) > current then redis.call('HSET', KEYS[1], 'pause_until', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], 86400000)
return 0
`;

// GCRA on one key holding the "theoretical arrival time" (ms). Redis's own
// clock is used so every admin process agrees. Returns 0 when admitted, else
// how many ms until a request would be.
const RATE_ADMIT = `
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

// INCR and the first PEXPIRE in one step, so a crash between them cannot
// leave a counter that never expires.
const COUNT_HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`;

interface SharedCommands {
  heraldGateAdmit(
    key: string,
    now: number,
    interval: number,
    tolerance: number,
    probeMs: number,
  ): Promise<[number, number, number]>;
  heraldGateFailure(key: string, now: number, threshold: number, openMs: number): Promise<number>;
  heraldGateSuccess(key: string): Promise<number>;
  heraldGatePause(key: string, until: number): Promise<number>;
  heraldApiRateAdmit(key: string, intervalMs: number, toleranceMs: number): Promise<number>;
  heraldCountHit(key: string, windowMs: number): Promise<[number, number]>;
}

const num = (v: string | undefined): number => (v === undefined ? 0 : Number(v));

function redisGateStore(redis: RedisConnection & SharedCommands, prefix: string): GateStore {
  const key = (webhookId: string): string => `${prefix}:gate:{${webhookId}}`;
  return {
    async admit(webhookId: string, input: GateAdmitInput): Promise<GateAdmitResult> {
      const [until, failures, reason] = await redis.heraldGateAdmit(
        key(webhookId),
        input.now,
        input.intervalMs,
        input.toleranceMs,
        input.probeMs,
      );
      return { until, failures, reason: reason as GateAdmitResult['reason'] };
    },
    recordFailure: (webhookId, now, threshold, openMs) =>
      redis.heraldGateFailure(key(webhookId), now, threshold, openMs),
    async recordSuccess(webhookId) {
      await redis.heraldGateSuccess(key(webhookId));
    },
    async pause(webhookId, untilMs) {
      await redis.heraldGatePause(key(webhookId), Math.ceil(untilMs));
    },
    async clear(webhookId) {
      await redis.del(key(webhookId));
    },
    async inspect(webhookId): Promise<GateState | undefined> {
      const h = await redis.hgetall(key(webhookId));
      if (Object.keys(h).length === 0) return undefined;
      return {
        failures: num(h['failures']),
        openUntil: num(h['open_until']),
        probe: num(h['probe']),
        tat: num(h['tat']),
        pauseUntil: num(h['pause_until']),
      };
    },
  };
}

function redisChangeFeed(redis: RedisConnection, prefix: string): WebhookChangeFeed {
  const channel = `${prefix}:webhooks-changed`;
  return {
    async notify(appId) {
      await redis.publish(channel, appId);
    },
    async subscribe(onChange): Promise<ChangeSubscription> {
      const subscriber = redis.duplicate();
      subscriber.on('error', () => undefined); // the command connection already logs Redis trouble
      subscriber.on('message', (ch: string, appId: string) => {
        if (ch === channel) onChange(appId);
      });
      // After a reconnect we may have missed messages: start clean.
      subscriber.on('ready', () => onChange(undefined));
      await subscriber.subscribe(channel);
      return {
        async close() {
          await subscriber.quit().catch(() => subscriber.disconnect());
        },
      };
    },
  };
}

function redisLimitStore(redis: RedisConnection & SharedCommands, prefix: string): LimitStore {
  return {
    async admitRate(key, intervalMs, toleranceMs) {
      return Number(await redis.heraldApiRateAdmit(`${prefix}:${key}`, intervalMs, toleranceMs));
    },
    async countHit(key, windowMs) {
      const [count, ttlMs] = await redis.heraldCountHit(`${prefix}:${key}`, windowMs);
      return { count, ttlMs };
    },
    async clearHits(key) {
      await redis.del(`${prefix}:${key}`);
    },
  };
}

/**
 * Shared state on Redis, every key under `<prefix>:` (gate `<prefix>:gate:{wh_…}`,
 * limits `<prefix>:<key>`, change feed channel `<prefix>:webhooks-changed`).
 */
export function createRedisSharedState(redis: RedisConnection, prefix: string): SharedState {
  redis.defineCommand('heraldGateAdmit', { numberOfKeys: 1, lua: GATE_ADMIT });
  redis.defineCommand('heraldGateFailure', { numberOfKeys: 1, lua: GATE_FAILURE });
  redis.defineCommand('heraldGateSuccess', { numberOfKeys: 1, lua: GATE_SUCCESS });
  redis.defineCommand('heraldGatePause', { numberOfKeys: 1, lua: GATE_PAUSE });
  redis.defineCommand('heraldApiRateAdmit', { numberOfKeys: 1, lua: RATE_ADMIT });
  redis.defineCommand('heraldCountHit', { numberOfKeys: 1, lua: COUNT_HIT });
  const commands = redis as RedisConnection & SharedCommands;
  return {
    kind: 'redis',
    gate: redisGateStore(commands, prefix),
    webhookChanges: redisChangeFeed(redis, prefix),
    limits: redisLimitStore(commands, prefix),
  };
}
