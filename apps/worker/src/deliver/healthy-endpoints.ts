import type { Admission, EndpointGate, GateRateLimit } from '@herald/engine';

/** How long a webhook seen healthy skips the shared gate's round trip. */
export const HEALTHY_SKIP_MS = 1_000;
const ADMITTED_HEALTHY = { admitted: true, failures: 0 } as const;

/** Entries kept at most; past it the memory starts over (each webhook then costs one more round trip). */
const MAX_ENTRIES = 10_000;

/**
 * This process's memory of which webhooks the shared gate (EndpointGate)
 * admitted recently with nothing wrong: no failures counted, no circuit, no
 * pause, and no rate limit. For `skipMs` after such an admission, deliveries
 * to that webhook go without asking Redis again.
 *
 * The bound this puts on the shared breaker: a circuit opened, or a 429
 * pause set, by another process stops this process's deliveries to that
 * webhook at most `skipMs` later. Any failure or 429 this process sees itself
 * forgets the webhook at once, so its next delivery asks the gate; and a
 * webhook with a rate limit is never skipped. While skipping, a success does
 * not reset failures another process counted meanwhile (that happens on the
 * first success after the next real admission), so the breaker may open at
 * most `skipMs` of successes "early" for an endpoint that fails elsewhere.
 */
export class HealthyEndpoints {
  readonly #skipMs: number;
  readonly #seenAt = new Map<string, number>();

  constructor(skipMs: number = HEALTHY_SKIP_MS) {
    this.#skipMs = skipMs;
  }

  /** True when `webhookId` was admitted healthy within the last `skipMs`. */
  isHealthy(webhookId: string, nowMs: number): boolean {
    const at = this.#seenAt.get(webhookId);
    if (at === undefined) return false;
    if (nowMs - at < this.#skipMs && nowMs >= at) return true;
    this.#seenAt.delete(webhookId);
    return false;
  }

  /**
   * The shared gate's answer for `webhookId`, without asking it while the
   * webhook (one with no rate limit) counts as healthy here; an admission
   * with no failures and no limit makes it healthy again.
   */
  async admit(
    gate: Pick<EndpointGate, 'admit'>,
    webhookId: string,
    limit: GateRateLimit | null,
    now: () => number,
  ): Promise<Admission> {
    if (limit === null && this.isHealthy(webhookId, now())) return ADMITTED_HEALTHY;
    const admission = await gate.admit(webhookId, limit);
    if (admission.admitted && admission.failures === 0 && limit === null) this.markHealthy(webhookId, now());
    return admission;
  }

  markHealthy(webhookId: string, nowMs: number): void {
    if (this.#skipMs <= 0) return;
    if (this.#seenAt.size >= MAX_ENTRIES && !this.#seenAt.has(webhookId)) this.#seenAt.clear();
    this.#seenAt.set(webhookId, nowMs);
  }

  forget(webhookId: string): void {
    this.#seenAt.delete(webhookId);
  }
}
