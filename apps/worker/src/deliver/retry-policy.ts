import type { AttemptOutcome } from '@herald/db';

/** What one HTTP attempt came to. */
export interface AttemptResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  /** From a Retry-After header on 429/503, in ms. */
  retryAfterMs: number | null;
}

export type Decision =
  | { kind: 'succeeded' }
  /** Retry after `delayMs`; `pauseWebhookMs` holds every delivery to the webhook (429). */
  | { kind: 'retry'; delayMs: number; pauseWebhookMs: number | null; countsForBreaker: boolean }
  | { kind: 'dead'; reason: string; countsForBreaker: boolean }
  | { kind: 'disable'; reason: string };

export interface RetryPolicyOptions {
  /** Delays after the first attempt (HERALD_RETRY_SCHEDULE). */
  scheduleMs: readonly number[];
  /** ± fraction of each delay (0.2 = ±20 %). */
  jitter?: number;
  /** Retry-After is honoured up to this (a receiver cannot park us for days). */
  maxRetryAfterMs?: number;
  random?: () => number;
}

const DEFAULT_MAX_RETRY_AFTER_MS = 3_600_000;
// Without a Retry-After, a 429 still holds the whole webhook this long.
const DEFAULT_429_PAUSE_MS = 5_000;

export function isSuccess(statusCode: number | null): boolean {
  return statusCode !== null && statusCode >= 200 && statusCode < 300;
}

/**
 * The one place that maps an attempt's outcome to what happens next
 * (DESIGN §5). `position` is the 0-based index of this attempt within the
 * current schedule: attempt 1 of a fresh schedule is position 0.
 */
export function decide(result: AttemptResult, position: number, options: RetryPolicyOptions): Decision {
  if (result.outcome === 'success' && isSuccess(result.statusCode)) return { kind: 'succeeded' };
  if (result.statusCode === 410) return { kind: 'disable', reason: 'endpoint answered 410 Gone' };

  const isRateLimited = result.statusCode === 429;
  const honoursRetryAfter = isRateLimited || result.statusCode === 503;
  // A refused address will not become allowed by waiting; a 429 is the receiver
  // asking us to slow down, not a sign it is broken.
  const countsForBreaker = !isRateLimited && result.outcome !== 'blocked';
  const scheduled = options.scheduleMs[position];
  if (scheduled === undefined) {
    return { kind: 'dead', reason: `no attempts left after ${position + 1}`, countsForBreaker };
  }
  if (result.outcome === 'blocked') {
    return { kind: 'dead', reason: 'the endpoint address is not allowed', countsForBreaker };
  }
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  let delayMs = Math.round(scheduled * (1 - jitter + 2 * jitter * random()));
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  let pauseWebhookMs: number | null = null;
  if (honoursRetryAfter && result.retryAfterMs !== null) {
    const retryAfterMs = Math.min(Math.max(result.retryAfterMs, 0), maxRetryAfterMs);
    delayMs = Math.max(delayMs, retryAfterMs);
    if (isRateLimited) pauseWebhookMs = retryAfterMs;
  } else if (isRateLimited) {
    pauseWebhookMs = DEFAULT_429_PAUSE_MS;
  }
  return { kind: 'retry', delayMs, pauseWebhookMs, countsForBreaker };
}

/** Parses Retry-After (seconds or an HTTP date) into ms from `nowMs`; null if absent or bad. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return null;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  // Only an IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`); Date.parse alone accepts "-5".
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text.trim())) return null;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}
