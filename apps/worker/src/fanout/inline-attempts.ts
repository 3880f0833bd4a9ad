import type { WebhookFormat } from '@herald/db';
import type { DeliveryTarget, DeliveryToEnqueue, EndpointGate, PlatformPace } from '@herald/engine';
import { PLATFORM_PACING, effectiveRateLimit } from '@herald/engine';
import type { AttemptDelivery } from '../deliver/attempt.js';
import type { HealthyEndpoints } from '../deliver/healthy-endpoints.js';

/** First attempts in flight per webhook from one process's fan-outs; the rest queue. */
export const INLINE_MAX_PER_WEBHOOK = 16;
/** A publisher's clock this far ahead of the worker's (a negative wait) is not trusted to show a backlog. */
const MAX_CLOCK_AHEAD_MS = 100;
/** An exchange slower than this sends that webhook's first attempts to the queue for `INLINE_SLOW_HOLD_MS`. */
export const INLINE_SLOW_MS = 1_000;
export const INLINE_SLOW_HOLD_MS = 30_000;
/**
 * Events that waited longer than this in their queue mean a backlog: their
 * first attempts go through the deliveries queue, whose priorities keep apps
 * fair (an event job that also makes HTTP calls would hold the events queue's
 * FIFO line). The wait is the publisher's clock against the worker's: skew
 * beyond it only means the queue path.
 */
export const INLINE_MAX_QUEUE_WAIT_MS = 20;

export interface InlineAttemptsDeps {
  gate: EndpointGate;
  healthy: HealthyEndpoints;
  attempt: AttemptDelivery;
  /** Queues the delivery's next attempt after `delayMs` (a retry job, job id = delivery id). */
  retry: (delivery: DeliveryToEnqueue, delayMs: number) => Promise<void>;
  platformPacing?: Readonly<Partial<Record<WebhookFormat, PlatformPace>>> | undefined;
  maxPerWebhook?: number;
  /**
   * First attempts in flight from this process's fan-outs, all webhooks
   * together; the worker passes half its fan-out concurrency, so the other
   * half always fans out (and queues) without waiting on HTTP.
   */
  maxTotal: number;
  slowMs?: number;
  slowHoldMs?: number;
  maxQueueWaitMs?: number;
  now?: () => number;
}

/**
 * First attempts made by the fan-out itself, without a delivery job: the
 * event's job carries them. A delivery job costs three BullMQ round trips
 * (add, take, finish) and a hop through the queue; a healthy endpoint's first
 * attempt needs none of it. Everything else still goes through the queue:
 * rate-limited and platform-paced webhooks, endpoints with failures on
 * record, an open circuit or a 429 pause (the gate says so), webhooks that
 * answered slowly of late, more than `maxPerWebhook` at once to one webhook
 * and more than `maxTotal` in all (so endpoints that start hanging hold a
 * bounded share of the fan-out slots: the rest keep fanning out; a slot is
 * held for the HTTP exchange, not for the outcome's commit after it),
 * and every event that waited in a backlog (`keepsUp`): with a queue to be
 * fair about, the deliveries queue's priorities decide who goes first.
 *
 * The POST goes out while the event's rows commit (fanout.processor.ts),
 * with the delivery id its row gets; the outcome is committed once the row
 * is, before the event's job is acknowledged, and a failed attempt becomes a
 * retry job with the schedule's delay. If the process dies mid-attempt, the
 * event's job comes back (stalled) and fan-out attempts the delivery again:
 * at least once, same `webhook-id` (the row still pending, or new if the
 * process died before the rows committed). If the retry job cannot be added
 * after the failure was recorded, the reconciler re-queues the overdue delivery.
 */
export class InlineAttempts {
  readonly #deps: InlineAttemptsDeps;
  readonly #now: () => number;
  readonly #maxPerWebhook: number;
  readonly #maxTotal: number;
  #total = 0;
  readonly #slowMs: number;
  readonly #slowHoldMs: number;
  readonly #maxQueueWaitMs: number;
  readonly #pacing: Readonly<Partial<Record<WebhookFormat, PlatformPace>>>;
  readonly #inFlight = new Map<string, number>();
  readonly #slowUntil = new Map<string, number>();

  constructor(deps: InlineAttemptsDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#maxPerWebhook = deps.maxPerWebhook ?? INLINE_MAX_PER_WEBHOOK;
    this.#maxTotal = deps.maxTotal;
    this.#slowMs = deps.slowMs ?? INLINE_SLOW_MS;
    this.#slowHoldMs = deps.slowHoldMs ?? INLINE_SLOW_HOLD_MS;
    this.#maxQueueWaitMs = deps.maxQueueWaitMs ?? INLINE_MAX_QUEUE_WAIT_MS;
    this.#pacing = deps.platformPacing ?? PLATFORM_PACING;
  }

  /**
   * True when an event added at `addedAt` and taken at `takenAt` (epoch ms,
   * the publisher's and the worker's clocks) met no backlog. A wait below
   * −100 ms means the clocks disagree too much to tell: no.
   */
  keepsUp(addedAt: number, takenAt: number | undefined): boolean {
    const waited = (takenAt ?? this.#now()) - addedAt;
    return waited <= this.#maxQueueWaitMs && waited >= -MAX_CLOCK_AHEAD_MS;
  }

  /**
   * Takes a slot for an attempt to `target` now, or says no (`false`: the
   * caller queues a job). A slot comes with the failures the gate counted
   * before it (0, or the count at a half-open probe) and must be followed by
   * `attempt`, which frees it.
   */
  async reserve(target: DeliveryTarget): Promise<number | false> {
    if (target.state !== 'enabled') return false;
    if (effectiveRateLimit(target.rateLimitPerSecond, this.#pacing[target.format]) !== null) return false;
    const id = target.id;
    const slowUntil = this.#slowUntil.get(id);
    if (slowUntil !== undefined) {
      if (this.#now() < slowUntil) return false;
      this.#slowUntil.delete(id);
    }
    const running = this.#inFlight.get(id) ?? 0;
    if (running >= this.#maxPerWebhook || this.#total >= this.#maxTotal) return false;
    this.#inFlight.set(id, running + 1);
    this.#total += 1;
    try {
      const admission = await this.#deps.healthy.admit(this.#deps.gate, id, null, this.#now);
      // A half-open probe is taken by asking: making the attempt here is the
      // only way not to waste it (a queued job would find the circuit still
      // closed to it until the probe times out).
      if (admission.admitted && (admission.failures === 0 || this.#deps.gate.isProbe(admission))) {
        return admission.failures;
      }
    } catch {
      // The gate cannot answer: the queued job will ask it again.
    }
    this.#release(id);
    return false;
  }

  /**
   * The first attempt of a delivery whose slot `reserve` gave, made while its
   * row commits (`rowCommitted`, attempt.ts); resolves once its outcome is committed.
   */
  async attempt(
    target: DeliveryTarget,
    delivery: DeliveryToEnqueue,
    failuresBefore: number,
    rowCommitted: Promise<boolean>,
  ): Promise<void> {
    // The slot bounds HTTP exchanges in flight (what a hanging endpoint
    // holds), so it is freed when the exchange ends, not after the outcome's
    // commit: a burst to a fast endpoint then stays inline.
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      this.#release(target.id);
    };
    try {
      const done = await this.#deps.attempt(
        target,
        { v: 1, ...delivery },
        {
          attempt: delivery.attemptOffset + 1,
          position: delivery.scheduleOffset,
          failuresBefore,
          rowCommitted,
          onExchanged: release,
        },
      );
      if (done.durationMs > this.#slowMs) this.#slowUntil.set(target.id, this.#now() + this.#slowHoldMs);
      if (!done.recorded || done.decision.kind !== 'retry') return;
      // As the delivery job would have: a 429 does not advance the schedule.
      const next: DeliveryToEnqueue =
        done.statusCode === 429
          ? { ...delivery, rateLimitedAttempts: (delivery.rateLimitedAttempts ?? 0) + 1 }
          : {
              ...delivery,
              attemptOffset: delivery.attemptOffset + 1,
              scheduleOffset: delivery.scheduleOffset + 1,
            };
      await this.#deps.retry(next, done.decision.delayMs);
    } finally {
      release();
    }
  }

  #release(id: string): void {
    this.#total -= 1;
    const running = (this.#inFlight.get(id) ?? 1) - 1;
    if (running <= 0) this.#inFlight.delete(id);
    else this.#inFlight.set(id, running);
  }
}
