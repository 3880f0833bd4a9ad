import type { WebhookFormat } from '@herald/db';
import type { RedisConnection } from '@herald/queue';

// One hash per webhook holds everything all workers share about it:
//   failures     consecutive failed attempts (429s excluded)
//   open_until   ms; the circuit is open until then
//   probe        ms; when the half-open probe was let through
//   tat          ms; GCRA "theoretical arrival time" for the rate limit
//   pause_until  ms; set by 429 Retry-After
// The webhook id is the key's hash tag, so Redis Cluster keeps it on one slot.
const ADMIT = `
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

const RECORD_FAILURE = `
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local threshold = tonumber(ARGV[2])
if threshold > 0 and failures >= threshold then
  redis.call('HSET', KEYS[1], 'open_until', tonumber(ARGV[1]) + tonumber(ARGV[3]))
  redis.call('HDEL', KEYS[1], 'probe')
end
redis.call('PEXPIRE', KEYS[1], 86400000)
return failures
`;

const RECORD_SUCCESS = `
redis.call('HDEL', KEYS[1], 'failures', 'open_until', 'probe')
return 0
`;

const PAUSE = `
local current = tonumber(redis.call('HGET', KEYS[1], 'pause_until')) or 0
if tonumber(ARGV[1]) > current then redis.call('HSET', KEYS[1], 'pause_until', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], 86400000)
return 0
`;

export type GateWaitReason = 'paused' | 'circuit_open' | 'rate_limited';
const REASONS: Record<number, GateWaitReason> = { 1: 'paused', 2: 'circuit_open', 3: 'rate_limited' };

/**
 * At most `max` deliveries per `perMs`, evenly spaced (GCRA emission
 * interval `perMs / max`), letting up to `burst` go back to back.
 */
export interface GateRateLimit {
  max: number;
  perMs: number;
  burst: number;
}

/** A platform's published pace per webhook: at most `max` messages per `perMs`. */
export interface PlatformPace {
  max: number;
  perMs: number;
}

/** Discord: about 30 messages a minute per webhook; Telegram: about 20 a minute per chat. */
export const PLATFORM_PACING: Readonly<Partial<Record<WebhookFormat, PlatformPace>>> = {
  discord: { max: 30, perMs: 60_000 },
  telegram: { max: 20, perMs: 60_000 },
};

/**
 * The stricter of the webhook's own limit (per second, a burst of one
 * second's worth, as a token bucket of that size would allow) and its
 * platform's pace (no burst: evenly spaced, so no window of `perMs` ever
 * holds more than `max`). Null when neither applies.
 */
export function effectiveRateLimit(
  rateLimitPerSecond: number | null,
  pace: PlatformPace | undefined,
): GateRateLimit | null {
  const own: GateRateLimit | null =
    rateLimitPerSecond && rateLimitPerSecond > 0
      ? { max: rateLimitPerSecond, perMs: 1_000, burst: rateLimitPerSecond }
      : null;
  const platform: GateRateLimit | null =
    pace && pace.max > 0 && pace.perMs > 0 ? { max: pace.max, perMs: pace.perMs, burst: 1 } : null;
  if (!own) return platform;
  if (!platform) return own;
  return platform.perMs / platform.max >= own.perMs / own.max ? platform : own;
}

export type Admission =
  | { admitted: true; failures: number }
  | { admitted: false; until: number; reason: GateWaitReason; failures: number };

export interface EndpointGateOptions {
  redis: RedisConnection;
  queuePrefix: string;
  /** Consecutive failures that open the circuit; 0 turns the breaker off. */
  breakerFailures: number;
  breakerOpenMs: number;
  /** How long one half-open probe may take before another is allowed. */
  probeTimeoutMs: number;
  now?: () => number;
  /** Called each time a failure opens (or, after a failed probe, re-opens) a circuit. */
  onCircuitOpen?: () => void;
}

interface GateCommands {
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
}

/**
 * Circuit breaker, per-webhook rate limit and Retry-After pause, shared by
 * every worker through one Redis hash per webhook. The healthy path costs one
 * round trip (`admit`); `recordSuccess` is skipped when nothing had failed.
 */
export class EndpointGate {
  readonly #redis: RedisConnection & GateCommands;
  readonly #options: EndpointGateOptions;
  readonly #now: () => number;

  constructor(options: EndpointGateOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const redis = options.redis;
    redis.defineCommand('heraldGateAdmit', { numberOfKeys: 1, lua: ADMIT });
    redis.defineCommand('heraldGateFailure', { numberOfKeys: 1, lua: RECORD_FAILURE });
    redis.defineCommand('heraldGateSuccess', { numberOfKeys: 1, lua: RECORD_SUCCESS });
    redis.defineCommand('heraldGatePause', { numberOfKeys: 1, lua: PAUSE });
    this.#redis = redis as RedisConnection & GateCommands;
  }

  key(webhookId: string): string {
    return `${this.#options.queuePrefix}:gate:{${webhookId}}`;
  }

  /** May a delivery to this webhook go now? If not, until when should it wait. */
  async admit(webhookId: string, limit: GateRateLimit | null): Promise<Admission> {
    const interval = limit ? limit.perMs / limit.max : 0;
    const tolerance = limit ? interval * (Math.max(1, limit.burst) - 1) : 0;
    const [until, failures, reason] = await this.#redis.heraldGateAdmit(
      this.key(webhookId),
      this.#now(),
      interval,
      tolerance,
      this.#options.probeTimeoutMs,
    );
    if (until === 0) return { admitted: true, failures };
    return { admitted: false, until: Math.ceil(until), reason: REASONS[reason] ?? 'paused', failures };
  }

  async recordSuccess(webhookId: string, failuresBefore: number): Promise<void> {
    if (failuresBefore === 0) return;
    await this.#redis.heraldGateSuccess(this.key(webhookId));
  }

  /** Returns the consecutive failure count. Never call it for a 429. */
  async recordFailure(webhookId: string): Promise<number> {
    const failures = await this.#redis.heraldGateFailure(
      this.key(webhookId),
      this.#now(),
      this.#options.breakerFailures,
      this.#options.breakerOpenMs,
    );
    const threshold = this.#options.breakerFailures;
    if (threshold > 0 && failures >= threshold) this.#options.onCircuitOpen?.();
    return failures;
  }

  /** Holds every delivery to this webhook until `untilMs` (Retry-After on 429). */
  async pause(webhookId: string, untilMs: number): Promise<void> {
    await this.#redis.heraldGatePause(this.key(webhookId), Math.ceil(untilMs));
  }
}
