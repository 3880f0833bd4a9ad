import type { AttemptOutcome, WebhookFormat } from '@herald/db';

/** What one HTTP attempt came to. */
export interface AttemptResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  /** From a Retry-After header on 429/503, in ms. */
  retryAfterMs: number | null;
  /** The webhook's format: Discord and Telegram answers are read for what they mean. */
  format?: WebhookFormat;
  /** The stored start of the response body (a platform's JSON error). */
  responseSnippet?: string | null;
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
  /**
   * A 429 now would be free (it does not advance the schedule: fewer than
   * MAX_FREE_RATE_LIMITED_ATTEMPTS so far). Its retry then waits what the
   * receiver asked for, not the schedule's current step.
   */
  rateLimitIsFree?: boolean;
}

/** 429s that do not advance the retry schedule, per delivery. */
export const MAX_FREE_RATE_LIMITED_ATTEMPTS = 20;

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
  // Telegram may answer 2xx with {"ok": false, …}: that message was not sent.
  const refused = result.format === 'telegram' && isTelegramRefusal(result.responseSnippet);
  if (result.outcome === 'success' && isSuccess(result.statusCode) && !refused) return { kind: 'succeeded' };
  if (result.statusCode === 410) return { kind: 'disable', reason: 'endpoint answered 410 Gone' };
  if (result.format === 'discord' && (result.statusCode === 404 || result.statusCode === 401)) {
    return {
      kind: 'disable',
      reason:
        result.statusCode === 404
          ? 'Discord says the webhook no longer exists (404)'
          : 'Discord refused the webhook token (401)',
    };
  }

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
  // Discord and Telegram put the precise wait (seconds, maybe fractional) in the JSON body.
  const bodyRetryAfterMs = isRateLimited ? platformRetryAfterMs(result.format, result.responseSnippet) : null;
  const askedRetryAfterMs = bodyRetryAfterMs ?? result.retryAfterMs;
  if (honoursRetryAfter && askedRetryAfterMs !== null) {
    const retryAfterMs = Math.min(Math.max(askedRetryAfterMs, 0), maxRetryAfterMs);
    // A free 429 is no failure: the schedule's step (hours, late in it) is not owed.
    delayMs = isRateLimited && options.rateLimitIsFree ? retryAfterMs : Math.max(delayMs, retryAfterMs);
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

/**
 * Telegram's `{"ok": false, …}`. Read from the start of the body, so a
 * snippet cut short (a long echoed message) still says which it was.
 */
export function isTelegramRefusal(snippet: string | null | undefined): boolean {
  return snippet !== null && snippet !== undefined && /^\s*\{\s*"ok"\s*:\s*false\b/.test(snippet);
}

function parseJsonObject(snippet: string | null | undefined): Record<string, unknown> | null {
  if (!snippet) return null;
  try {
    const value: unknown = JSON.parse(snippet);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * `retry_after` (seconds, may be fractional) from a Discord 429 body
 * (`{"retry_after": 1.5}`) or a Telegram one (`{"parameters": {"retry_after": 5}}`),
 * in ms; null for other formats or when absent.
 */
export function platformRetryAfterMs(
  format: WebhookFormat | undefined,
  snippet: string | null | undefined,
): number | null {
  if (format !== 'discord' && format !== 'telegram') return null;
  const body = parseJsonObject(snippet);
  if (!body) return null;
  const parameters = body['parameters'];
  const raw =
    body['retry_after'] ??
    (parameters !== null && typeof parameters === 'object'
      ? (parameters as Record<string, unknown>)['retry_after']
      : undefined);
  const seconds = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return null;
  return Math.ceil(seconds * 1000);
}

/**
 * What the platform said went wrong, to record as the attempt's error:
 * Telegram's `{"ok": false, "description": …}`, Discord's `{"message", "code"}`.
 */
export function platformError(
  format: WebhookFormat | undefined,
  statusCode: number | null,
  snippet: string | null | undefined,
): string | null {
  if (format !== 'discord' && format !== 'telegram') return null;
  if (isSuccess(statusCode) && format === 'discord') return null;
  const body = parseJsonObject(snippet);
  if (!body) return null;
  if (format === 'telegram') {
    if (body['ok'] !== false) return null;
    const description = body['description'];
    return `Telegram: ${typeof description === 'string' ? description.slice(0, 400) : 'ok: false'}`;
  }
  const message = body['message'];
  if (typeof message !== 'string') return null;
  const code = body['code'];
  return `Discord: ${message.slice(0, 400)}${typeof code === 'number' ? ` (code ${code})` : ''}`;
}
