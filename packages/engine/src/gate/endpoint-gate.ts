import type { WebhookFormat } from '@herald/db';
import type { GateStore } from '../shared/shared-state.js';

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
  /** Where the state lives (Redis hash or Postgres row per webhook): `SharedState.gate`. */
  store: GateStore;
  /** Consecutive failures that open the circuit; 0 turns the breaker off. */
  breakerFailures: number;
  breakerOpenMs: number;
  /** How long one half-open probe may take before another is allowed. */
  probeTimeoutMs: number;
  now?: () => number;
  /** Called each time a failure opens (or, after a failed probe, re-opens) a circuit. */
  onCircuitOpen?: () => void;
}

/**
 * Circuit breaker, per-webhook rate limit and Retry-After pause, shared by
 * every worker through one record per webhook in the shared state (a Redis
 * hash, or a Postgres row). The healthy path costs one round trip (`admit`);
 * `recordSuccess` is skipped when nothing had failed.
 */
export class EndpointGate {
  readonly #store: GateStore;
  readonly #options: EndpointGateOptions;
  readonly #now: () => number;

  constructor(options: EndpointGateOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#store = options.store;
  }

  /** May a delivery to this webhook go now? If not, until when should it wait. */
  async admit(webhookId: string, limit: GateRateLimit | null): Promise<Admission> {
    const interval = limit ? limit.perMs / limit.max : 0;
    const tolerance = limit ? interval * (Math.max(1, limit.burst) - 1) : 0;
    const { until, failures, reason } = await this.#store.admit(webhookId, {
      now: this.#now(),
      intervalMs: interval,
      toleranceMs: tolerance,
      probeMs: this.#options.probeTimeoutMs,
    });
    if (until === 0) return { admitted: true, failures };
    return { admitted: false, until: Math.ceil(until), reason: REASONS[reason] ?? 'paused', failures };
  }

  /**
   * True when this admission is the half-open probe of an open circuit: it
   * was taken for its caller, and the next one waits until the probe's
   * outcome (or its timeout), so the caller must make the attempt.
   */
  isProbe(admission: Admission): boolean {
    const threshold = this.#options.breakerFailures;
    return admission.admitted && threshold > 0 && admission.failures >= threshold;
  }

  async recordSuccess(webhookId: string, failuresBefore: number): Promise<void> {
    if (failuresBefore === 0) return;
    await this.#store.recordSuccess(webhookId);
  }

  /** Returns the consecutive failure count. Never call it for a 429. */
  async recordFailure(webhookId: string): Promise<number> {
    const failures = await this.#store.recordFailure(
      webhookId,
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
    await this.#store.pause(webhookId, Math.ceil(untilMs));
  }
}
