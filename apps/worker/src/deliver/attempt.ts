import { HERALD_VERSION, idTimeMs } from '@herald/core';
import type { DeliveryStatus } from '@herald/db';
import type { DeliveryRecorder, DeliveryTarget, EndpointGate } from '@herald/engine';
import { isReservedHeader } from '@herald/engine';
import type { Logger } from '@herald/logger';
import type { HeraldMetrics } from '@herald/observability';
import type { DeliveryJobData } from '@herald/queue';
import { buildSignatureHeader } from '@herald/signing';
import type { HealthyEndpoints } from './healthy-endpoints.js';
import type { Send } from './http-sender.js';
import { buildPlatformRequest } from './platform-request.js';
import {
  MAX_FREE_RATE_LIMITED_ATTEMPTS,
  decide,
  platformError,
  type Decision,
  type RetryPolicyOptions,
} from './retry-policy.js';

const FOREIGN_KEY_VIOLATION = '23503';

export const DEFAULT_USER_AGENT = `Herald-Webhooks/${HERALD_VERSION}`;

export interface AttemptDeps {
  gate: EndpointGate;
  recorder: DeliveryRecorder;
  send: Send;
  policy: RetryPolicyOptions;
  log: Logger;
  /** Tells every process that webhooks of these apps changed (auto-disable). */
  notifyChanged: (appId: string) => Promise<void>;
  /** Counts attempts, outcomes, dead letters and publish→delivery latency. */
  metrics?: Pick<HeraldMetrics, 'recordAttempt'> | undefined;
  /** Which webhooks skip the gate's round trip for now (healthy-endpoints.ts); one per process. */
  healthy: HealthyEndpoints;
  now: () => number;
  random: () => number;
}

/** Which attempt this is: its number on the wire and its place in the retry schedule. */
export interface AttemptPlace {
  /** `herald-attempt`: 1 for the first attempt ever made for this delivery. */
  attempt: number;
  /** 0-based index in the current schedule (retry-policy.ts `decide`). */
  position: number;
  /** Consecutive failures the gate counted before admitting this one (0 when skipped). */
  failuresBefore: number;
  /**
   * A first attempt made while its delivery row commits (fanout.processor.ts):
   * resolves true once the row is committed as this run's, false when it is an
   * earlier run's (then this outcome is not recorded here). Left out: the row exists.
   */
  rowCommitted?: Promise<boolean>;
  /** Called once the HTTP exchange has ended, before the outcome is recorded. */
  onExchanged?: () => void;
}

export interface AttemptDone {
  decision: Decision;
  status: DeliveryStatus;
  statusCode: number | null;
  /** How long the HTTP exchange took. */
  durationMs: number;
  /** Why it failed, for the error BullMQ keeps (no URL, no secret). */
  error: string | null;
  /**
   * False when nothing was recorded and no retry is owed: the row turned out
   * to be another run's (`rowCommitted`), or it was gone (pruned or its app deleted).
   */
  recorded: boolean;
}

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
 * One admitted attempt, wherever it runs (a delivery job, or a first attempt
 * made by the fan-out itself — fanout/inline-attempts.ts): sign, POST, tell
 * the shared gate, and wait until the outcome is committed. What happens to a
 * queue job afterwards (retry, delay, dead) is the caller's business.
 */
export function createAttempter(deps: AttemptDeps) {
  const { now, random, healthy } = deps;
  async function tellGate(webhookId: string, decision: Decision, failuresBefore: number): Promise<void> {
    if (decision.kind === 'succeeded') {
      await deps.gate.recordSuccess(webhookId, failuresBefore);
      return;
    }
    // Anything but a success: the next delivery to it asks the shared gate.
    healthy.forget(webhookId);
    if (decision.kind !== 'disable' && decision.countsForBreaker) await deps.gate.recordFailure(webhookId);
    if (decision.kind === 'retry' && decision.pauseWebhookMs !== null) {
      await deps.gate.pause(webhookId, now() + decision.pauseWebhookMs);
    }
  }
  return async function attemptDelivery(
    target: DeliveryTarget,
    data: DeliveryJobData,
    place: AttemptPlace,
  ): Promise<AttemptDone> {
    const { attempt, position } = place;
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
    place.onExchanged?.();
    const decision = decide({ ...result, format: target.format }, position, {
      ...deps.policy,
      random,
      rateLimitIsFree: (data.rateLimitedAttempts ?? 0) < MAX_FREE_RATE_LIMITED_ATTEMPTS,
    });

    // The shared gate's bookkeeping must not cost the outcome: a Redis error
    // here is logged, and the outcome is still committed (the gate heals with
    // the next attempt's answer).
    await tellGate(target.id, decision, place.failuresBefore).catch((error: unknown) =>
      deps.log.warn(
        { err: (error as Error).message, webhookId: target.id, deliveryId: data.deliveryId },
        'could not update the endpoint gate after an attempt; recording the outcome anyway',
      ),
    );

    // A 2xx the platform calls a failure (Telegram ok:false) is recorded as one.
    const outcome =
      decision.kind !== 'succeeded' && result.outcome === 'success' ? 'http_error' : result.outcome;
    const status: DeliveryStatus =
      decision.kind === 'succeeded' ? 'succeeded' : decision.kind === 'retry' ? 'failed' : 'dead';
    const error = result.error ?? platformError(target.format, result.statusCode, result.responseSnippet);
    const done = {
      decision,
      status,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      error: result.error ?? (result.statusCode === null ? null : `endpoint answered ${result.statusCode}`),
    };
    // The row must be committed before its outcome is (a rejection here fails the caller's job).
    if (place.rowCommitted !== undefined && !(await place.rowCommitted)) return { ...done, recorded: false };
    const effects = await deps.recorder
      .submit({
        deliveryId: data.deliveryId,
        webhookId: data.webhookId,
        status,
        attempts: attempt,
        nextAttemptAt: decision.kind === 'retry' ? new Date(now() + decision.delayMs) : null,
        attemptRecord: {
          attempt,
          outcome,
          statusCode: result.statusCode,
          durationMs: result.durationMs,
          responseSnippet: result.responseSnippet,
          error,
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
      })
      // The row went between the write's check and its insert (foreign key): as gone as missing.
      .catch((error: unknown) => {
        if ((error as { code?: unknown } | null)?.code !== FOREIGN_KEY_VIOLATION) throw error;
        return { disabled: [], missing: new Set([data.deliveryId]), recorded: false };
      });
    deps.metrics?.recordAttempt({
      outcome,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      dead: status === 'dead',
      // The event id's own timestamp (made with the event's): no body parsing. Replays and
      // manual retries (a fresh schedule after earlier attempts) are left out; a first run's
      // retries, queued or inline, keep both offsets equal.
      publishedAtMs:
        status === 'succeeded' && data.scheduleOffset === data.attemptOffset
          ? idTimeMs(data.eventId)
          : undefined,
    });
    if (effects.disabled.some((d) => d.webhookId === target.id)) {
      deps.log.warn({ webhookId: target.id, appId: target.appId }, 'webhook disabled');
      await deps.notifyChanged(target.appId);
    }

    if (!effects.recorded) {
      // Retention pruned its event, or its app was deleted, mid-attempt: nothing is owed any more.
      deps.log.info(
        { deliveryId: data.deliveryId, eventId: data.eventId, webhookId: target.id, attempt },
        'delivery row gone during the attempt; outcome not recorded',
      );
      return { ...done, recorded: false };
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
        break;
      case 'retry':
        deps.log.debug({ ...logFields, retryInMs: decision.delayMs }, 'delivery failed; retry scheduled');
        break;
      case 'dead':
      case 'disable':
        deps.log.warn({ ...logFields, reason: decision.reason }, 'delivery dead');
        break;
    }
    return { ...done, recorded: true };
  };
}

export type AttemptDelivery = ReturnType<typeof createAttempter>;
