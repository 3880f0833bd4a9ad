import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { HERALD_VERSION, idTimeMs } from '@herald/core';
import type { DeliveryStatus, WebhookFormat } from '@herald/db';
import type {
  Admission,
  DeliveryOutcome,
  DeliveryRecorder,
  DeliveryTarget,
  EndpointGate,
  PlatformPace,
  WebhookCache,
} from '@herald/engine';
import { PLATFORM_PACING, effectiveRateLimit, isReservedHeader } from '@herald/engine';
import type { Logger } from '@herald/logger';
import type { HeraldMetrics } from '@herald/observability';
import { DELIVERY_PRIORITY, parseDeliveryJobData, type DeliveryJobData } from '@herald/queue';
import { buildSignatureHeader } from '@herald/signing';
import { HealthyEndpoints } from './healthy-endpoints.js';
import type { Send } from './http-sender.js';
import { buildPlatformRequest } from './platform-request.js';
import { decide, platformError, type RetryPolicyOptions } from './retry-policy.js';

/** 429s that do not advance the retry schedule, per delivery job. */
export const MAX_FREE_RATE_LIMITED_ATTEMPTS = 20;

export const DEFAULT_USER_AGENT = `Herald-Webhooks/${HERALD_VERSION}`;

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

/** BullMQ `settings.backoffStrategy`: the delay the retry policy chose. */
export function heraldBackoff(_attemptsMade: number, _type?: string, error?: Error): number {
  return error instanceof RetryLaterError ? error.delayMs : 5_000;
}

export interface DeliverDeps {
  cache: WebhookCache;
  gate: EndpointGate;
  recorder: DeliveryRecorder;
  send: Send;
  policy: RetryPolicyOptions;
  log: Logger;
  /** Tells every process that webhooks of these apps changed (auto-disable). */
  notifyChanged: (appId: string) => Promise<void>;
  /** Counts attempts, outcomes, dead letters and publish→delivery latency. */
  metrics?: Pick<HeraldMetrics, 'recordAttempt'> | undefined;
  /** Per-format pace (default `PLATFORM_PACING`: Discord 30/min, Telegram 20/min); tests shorten it. */
  platformPacing?: Readonly<Partial<Record<WebhookFormat, PlatformPace>>> | undefined;
  now?: () => number;
  random?: () => number;
  /** Which webhooks skip the gate's round trip for now (healthy-endpoints.ts); one per process by default. */
  healthy?: HealthyEndpoints;
}

const ADMITTED_HEALTHY = { admitted: true, failures: 0 } as const;

/** Standard Webhooks headers (DESIGN §4); custom headers never override them. */
export function buildHeaders(
  target: DeliveryTarget,
  data: DeliveryJobData,
  attempt: number,
  timestampSeconds: number,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(target.headers)) {
    if (!isReservedHeader(name)) headers[name.toLowerCase()] = value;
  }
  headers['content-type'] = 'application/json';
  headers['user-agent'] = target.userAgent ?? DEFAULT_USER_AGENT;
  headers['webhook-id'] = data.eventId;
  headers['webhook-timestamp'] = String(timestampSeconds);
  headers['webhook-signature'] = buildSignatureHeader(
    target.signingKeys,
    data.eventId,
    timestampSeconds,
    data.body,
  );
  headers['herald-delivery-id'] = data.deliveryId;
  headers['herald-attempt'] = String(attempt);
  return headers;
}

/**
 * One delivery attempt: check the webhook still wants it, pass the shared
 * gate (breaker, rate limit, 429 pause — waiting there costs no attempt and
 * frees the worker slot), sign, POST, then wait until the outcome is
 * committed before acknowledging the job.
 */
export function createDeliverProcessor(deps: DeliverDeps) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const healthy = deps.healthy ?? new HealthyEndpoints();
  const pacing = deps.platformPacing ?? PLATFORM_PACING;

  const record = (outcome: DeliveryOutcome) => deps.recorder.submit(outcome);

  return async function deliver(job: Job, token?: string): Promise<DeliveryStatus> {
    let data: DeliveryJobData;
    try {
      data = parseDeliveryJobData(job.data);
    } catch {
      deps.log.error({ jobId: job.id }, 'malformed delivery job dropped');
      throw new UnrecoverableError('malformed delivery job');
    }
    const base = { deliveryId: data.deliveryId, webhookId: data.webhookId };
    const target = await deps.cache.get(data.appId, data.webhookId);
    if (!target) {
      await record({ ...base, status: 'cancelled', nextAttemptAt: null });
      return 'cancelled';
    }
    if (target.state !== 'enabled') {
      await record({ ...base, status: 'held', nextAttemptAt: null });
      return 'held';
    }
    // A webhook this process saw healthy within the last second (and with no
    // rate limit or platform pace) skips the Redis round trip; the bound is in
    // healthy-endpoints.ts.
    const rateLimit = effectiveRateLimit(target.rateLimitPerSecond, pacing[target.format]);
    const limited = rateLimit !== null;
    let admission: Admission;
    if (!limited && healthy.isHealthy(target.id, now())) {
      admission = ADMITTED_HEALTHY;
    } else {
      admission = await deps.gate.admit(target.id, rateLimit);
      if (admission.admitted && admission.failures === 0 && !limited) healthy.markHealthy(target.id, now());
    }
    if (!admission.admitted) {
      // Spread the wake-ups so a reopened endpoint is not hit by a thundering herd.
      const spreadMs = Math.min(1_000, Math.max(50, (admission.until - now()) * 0.1));
      await job.moveToDelayed(admission.until + Math.round(random() * spreadMs), token);
      throw new DelayedError();
    }

    const rateLimited = data.rateLimitedAttempts ?? 0;
    const attempt = data.attemptOffset + job.attemptsMade + rateLimited + 1;
    const position = data.scheduleOffset + job.attemptsMade;
    const startedMs = now();
    // Discord, Telegram and Slack get a rendering of the event, unsigned (platform-request.ts).
    const request =
      target.format === 'standard'
        ? {
            url: target.url,
            headers: buildHeaders(target, data, attempt, Math.floor(startedMs / 1000)),
            body: data.body,
          }
        : buildPlatformRequest(target, data, attempt, DEFAULT_USER_AGENT);
    const result = await deps.send(request.url, request.headers, request.body);
    const decision = decide({ ...result, format: target.format }, position, { ...deps.policy, random });

    if (decision.kind === 'succeeded') {
      await deps.gate.recordSuccess(target.id, admission.failures);
    } else {
      // Anything but a success: the next delivery to it asks the shared gate.
      healthy.forget(target.id);
      if (decision.kind !== 'disable' && decision.countsForBreaker) await deps.gate.recordFailure(target.id);
    }
    if (decision.kind === 'retry' && decision.pauseWebhookMs !== null) {
      await deps.gate.pause(target.id, now() + decision.pauseWebhookMs);
    }

    // A 2xx the platform calls a failure (Telegram ok:false) is recorded as one.
    const outcome =
      decision.kind !== 'succeeded' && result.outcome === 'success' ? 'http_error' : result.outcome;
    const status: DeliveryStatus =
      decision.kind === 'succeeded' ? 'succeeded' : decision.kind === 'retry' ? 'failed' : 'dead';
    const effects = await record({
      ...base,
      status,
      attempts: attempt,
      nextAttemptAt: decision.kind === 'retry' ? new Date(now() + decision.delayMs) : null,
      attemptRecord: {
        attempt,
        outcome,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        responseSnippet: result.responseSnippet,
        error: result.error ?? platformError(target.format, result.statusCode, result.responseSnippet),
        startedAt: result.startedAt,
      },
      webhookHealth:
        decision.kind === 'succeeded'
          ? 'success'
          : decision.kind === 'disable'
            ? undefined
            : decision.countsForBreaker
              ? 'failure'
              : undefined,
      ...(decision.kind === 'disable' ? { disableWebhook: decision.reason } : {}),
    });
    deps.metrics?.recordAttempt({
      outcome,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      dead: status === 'dead',
      // The event id's own timestamp (made with the event's): no body parsing. Replays are left out.
      publishedAtMs: status === 'succeeded' && data.attemptOffset === 0 ? idTimeMs(data.eventId) : undefined,
    });
    if (effects.disabled.some((d) => d.webhookId === target.id)) {
      deps.log.warn({ webhookId: target.id, appId: target.appId }, 'webhook disabled');
      await deps.notifyChanged(target.appId);
    }

    const logFields = {
      deliveryId: data.deliveryId,
      eventId: data.eventId,
      webhookId: target.id,
      attempt,
      statusCode: result.statusCode,
      outcome,
      durationMs: result.durationMs,
    };
    // One line per delivery outcome at info or above (succeeded, dead); each
    // failed attempt that will be retried at debug.
    switch (decision.kind) {
      case 'succeeded':
        deps.log.info(logFields, 'delivery succeeded');
        return 'succeeded';
      case 'retry':
        // Retries queue behind every first attempt (see DELIVERY_PRIORITY).
        if (job.priority !== DELIVERY_PRIORITY.retry)
          await job.changePriority({ priority: DELIVERY_PRIORITY.retry });
        deps.log.debug({ ...logFields, retryInMs: decision.delayMs }, 'delivery failed; retry scheduled');
        if (result.statusCode === 429 && rateLimited < MAX_FREE_RATE_LIMITED_ATTEMPTS) {
          // The receiver asked us to slow down; that is no failure of the endpoint,
          // so the schedule does not advance (bounded, so a 429-forever endpoint still ends dead).
          await job.updateData({ ...data, rateLimitedAttempts: rateLimited + 1 });
          await job.moveToDelayed(now() + decision.delayMs, token);
          throw new DelayedError();
        }
        throw new RetryLaterError(decision.delayMs, result.error ?? `endpoint answered ${result.statusCode}`);
      case 'dead':
      case 'disable':
        deps.log.warn({ ...logFields, reason: decision.reason }, 'delivery dead');
        throw new UnrecoverableError(decision.reason);
    }
  };
}
