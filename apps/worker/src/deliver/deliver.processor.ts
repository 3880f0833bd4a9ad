import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { DeliveryStatus, WebhookFormat } from '@herald/db';
import type { DeliveryRecorder, EndpointGate, PlatformPace, WebhookCache } from '@herald/engine';
import { PLATFORM_PACING, effectiveRateLimit } from '@herald/engine';
import type { Logger } from '@herald/logger';
import { DELIVERY_PRIORITY, parseDeliveryJobData, type DeliveryJobData } from '@herald/queue';
import type { AttemptDelivery } from './attempt.js';
import type { HealthyEndpoints } from './healthy-endpoints.js';
import { MAX_FREE_RATE_LIMITED_ATTEMPTS } from './retry-policy.js';

/** Thrown to let BullMQ schedule the retry; backoffStrategy reads `delayMs`. */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** How long a delivery waits when Postgres or Redis did not answer before its attempt. */
export const SERVICE_WAIT_MS = 5_000;

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/**
 * Postgres or Redis unreachable or refusing connections for now (not a bad
 * row or a bug): connection-class SQLSTATEs, socket errors, pg's and
 * ioredis' own connection messages.
 */
export function isServiceUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  // Connection exceptions (08…, but not 08P01, a protocol violation that waiting does not cure),
  // insufficient resources (53…), operator intervention (57P…).
  if ((/^(08|53|57P)/.test(code) && code !== '08P01') || CONNECTION_CODES.has(code)) return true;
  if (e?.name === 'MaxRetriesPerRequestError') return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|not queryable|Connection is closed/i.test(
    message,
  );
}

/** BullMQ `settings.backoffStrategy`: the delay the retry policy chose. */
export function heraldBackoff(_attemptsMade: number, _type?: string, error?: Error): number {
  return error instanceof RetryLaterError ? error.delayMs : 5_000;
}

export interface DeliverDeps {
  cache: WebhookCache;
  gate: EndpointGate;
  /** Record-and-send of one admitted attempt (attempt.ts), shared with the fan-out's first attempts. */
  attempt: AttemptDelivery;
  log: Logger;
  /** Per-format pace (default `PLATFORM_PACING`: Discord 30/min, Telegram 20/min); tests shorten it. */
  platformPacing?: Readonly<Partial<Record<WebhookFormat, PlatformPace>>> | undefined;
  /** Which webhooks skip the gate's round trip for now (healthy-endpoints.ts); one per process. */
  healthy: HealthyEndpoints;
  /** Where a cancelled or held delivery's new status is committed. */
  recorder: DeliveryRecorder;
  now?: () => number;
  random?: () => number;
}

/**
 * One delivery job: check the webhook still wants it, pass the shared gate
 * (breaker, rate limit, 429 pause — waiting there costs no attempt and frees
 * the worker slot), make the attempt (attempt.ts: sign, POST, commit the
 * outcome), then tell BullMQ what comes next (done, retry later, dead).
 */
export function createDeliverProcessor(deps: DeliverDeps) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { healthy } = deps;
  const pacing = deps.platformPacing ?? PLATFORM_PACING;

  return async function deliver(job: Job, token?: string): Promise<DeliveryStatus> {
    let data: DeliveryJobData;
    try {
      data = parseDeliveryJobData(job.data);
    } catch {
      deps.log.error({ jobId: job.id }, 'malformed delivery job dropped');
      throw new UnrecoverableError('malformed delivery job');
    }
    const base = { deliveryId: data.deliveryId, webhookId: data.webhookId };
    // Postgres or Redis down before the attempt is no attempt: the job waits
    // without counting one (a failed job would spend a place in the schedule
    // and a herald-attempt number on every try until they came back). There is
    // no cap on purpose: a cap would turn a long outage into dead deliveries
    // that were never attempted. Only connection-class errors qualify
    // (isServiceUnavailable), so a bad row or a bug still fails the job.
    const waitForServices = async (error: unknown): Promise<never> => {
      if (!isServiceUnavailable(error)) throw error;
      deps.log.warn(
        { ...base, err: (error as Error).message, waitMs: SERVICE_WAIT_MS },
        'service unavailable before the attempt; waiting',
      );
      await job.moveToDelayed(now() + SERVICE_WAIT_MS + Math.round(random() * 1_000), token);
      throw new DelayedError();
    };
    const target = await deps.cache.get(data.appId, data.webhookId).catch(waitForServices);
    if (!target) {
      await deps.recorder.submit({ ...base, status: 'cancelled', nextAttemptAt: null });
      return 'cancelled';
    }
    if (target.state !== 'enabled') {
      await deps.recorder.submit({ ...base, status: 'held', nextAttemptAt: null });
      return 'held';
    }
    // A webhook this process saw healthy within the last second (and with no
    // rate limit or platform pace) skips the Redis round trip; the bound is in
    // healthy-endpoints.ts.
    const rateLimit = effectiveRateLimit(target.rateLimitPerSecond, pacing[target.format]);
    const admission = await healthy.admit(deps.gate, target.id, rateLimit, now).catch(waitForServices);
    if (!admission.admitted) {
      // Spread the wake-ups so a reopened endpoint is not hit by a thundering herd.
      const spreadMs = Math.min(1_000, Math.max(50, (admission.until - now()) * 0.1));
      await job.moveToDelayed(admission.until + Math.round(random() * spreadMs), token);
      throw new DelayedError();
    }

    const rateLimited = data.rateLimitedAttempts ?? 0;
    const done = await deps.attempt(target, data, {
      attempt: data.attemptOffset + job.attemptsMade + rateLimited + 1,
      position: data.scheduleOffset + job.attemptsMade,
      failuresBefore: admission.failures,
    });
    // Its row went mid-attempt (event pruned, app deleted): nothing is owed, the job ends.
    if (!done.recorded) return 'cancelled';
    const { decision } = done;
    switch (decision.kind) {
      case 'succeeded':
        return 'succeeded';
      case 'retry':
        // Retries queue behind every first attempt (see DELIVERY_PRIORITY).
        if (job.priority !== DELIVERY_PRIORITY.retry)
          await job.changePriority({ priority: DELIVERY_PRIORITY.retry });
        if (done.statusCode === 429 && rateLimited < MAX_FREE_RATE_LIMITED_ATTEMPTS) {
          // The receiver asked us to slow down; that is no failure of the endpoint,
          // so the schedule does not advance (bounded, so a 429-forever endpoint still ends dead).
          await job.updateData({ ...data, rateLimitedAttempts: rateLimited + 1 });
          await job.moveToDelayed(now() + decision.delayMs, token);
          throw new DelayedError();
        }
        throw new RetryLaterError(decision.delayMs, done.error ?? 'attempt failed');
      case 'dead':
      case 'disable':
        throw new UnrecoverableError(decision.reason);
    }
  };
}
