import { decide, parseRetryAfter, type AttemptResult } from './retry-policy.js';

const SCHEDULE = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
const opts = { scheduleMs: SCHEDULE, random: () => 0.5 };
const http = (statusCode: number, retryAfterMs: number | null = null): AttemptResult => ({
  outcome: statusCode >= 200 && statusCode < 300 ? 'success' : 'http_error',
  statusCode,
  retryAfterMs,
});

describe('decide', () => {
  test.each([200, 201, 204, 299])('when the endpoint answers %i, the delivery succeeded', (code) => {
    expect(decide(http(code), 0, opts)).toEqual({ kind: 'succeeded' });
  });

  test.each([301, 302, 400, 404, 500, 503])(
    'when the endpoint answers %i, the delivery is retried on schedule',
    (code) => {
      expect(decide(http(code), 0, opts)).toMatchObject({
        kind: 'retry',
        delayMs: 5_000,
        countsForBreaker: true,
      });
    },
  );

  test('when the endpoint returns 503 at the third attempt, the retry waits the third delay', () => {
    expect(decide(http(503), 2, opts)).toMatchObject({ kind: 'retry', delayMs: 1_800_000 });
  });

  test('when the jitter draws its extremes, the delay stays within ±20 %', () => {
    expect(decide(http(500), 0, { scheduleMs: SCHEDULE, random: () => 0 })).toMatchObject({ delayMs: 4_000 });
    expect(decide(http(500), 0, { scheduleMs: SCHEDULE, random: () => 1 })).toMatchObject({ delayMs: 6_000 });
  });

  test('when the last scheduled attempt fails, the delivery is dead', () => {
    expect(decide(http(500), SCHEDULE.length, opts)).toMatchObject({ kind: 'dead', countsForBreaker: true });
  });

  test('when the endpoint answers 410, the webhook is disabled', () => {
    expect(decide(http(410), 0, opts)).toEqual({ kind: 'disable', reason: 'endpoint answered 410 Gone' });
  });

  test('when a 429 carries Retry-After, the retry and the whole webhook wait that long, and the breaker ignores it', () => {
    expect(decide(http(429, 60_000), 0, opts)).toEqual({
      kind: 'retry',
      delayMs: 60_000,
      pauseWebhookMs: 60_000,
      countsForBreaker: false,
    });
  });

  test('when a 429 has no Retry-After, the webhook still pauses briefly', () => {
    expect(decide(http(429), 0, opts)).toMatchObject({
      kind: 'retry',
      pauseWebhookMs: 5_000,
      countsForBreaker: false,
    });
  });

  test('when Retry-After asks for more than the bound, the bound wins', () => {
    expect(decide(http(503, 86_400_000), 0, opts)).toMatchObject({
      kind: 'retry',
      delayMs: 3_600_000,
      pauseWebhookMs: null,
    });
  });

  test('when a free 429 asks for less than the schedule’s step, it waits what was asked; a counted one waits the step', () => {
    expect(decide(http(429, 1_000), 3, { ...opts, rateLimitIsFree: true })).toMatchObject({
      delayMs: 1_000,
      pauseWebhookMs: 1_000,
    });
    expect(decide(http(429, 1_000), 1, { ...opts, rateLimitIsFree: false })).toMatchObject({
      delayMs: 300_000,
      pauseWebhookMs: 1_000,
    });
    // Without Retry-After, even a free 429 keeps the step: nothing says how long to wait.
    expect(decide(http(429), 1, { ...opts, rateLimitIsFree: true })).toMatchObject({ delayMs: 300_000 });
  });

  test('when Retry-After is shorter than the schedule, the schedule wins', () => {
    expect(decide(http(503, 1_000), 1, opts)).toMatchObject({ delayMs: 300_000 });
  });

  test('when the connection is refused by the SSRF guard, the delivery is dead at once and the breaker ignores it', () => {
    expect(decide({ outcome: 'blocked', statusCode: null, retryAfterMs: null }, 0, opts)).toMatchObject({
      kind: 'dead',
      countsForBreaker: false,
    });
  });

  test.each(['timeout', 'network_error'] as const)(
    'when the attempt ends in %s, it is retried',
    (outcome) => {
      expect(decide({ outcome, statusCode: null, retryAfterMs: null }, 0, opts)).toMatchObject({
        kind: 'retry',
      });
    },
  );
});

describe('parseRetryAfter', () => {
  test('when given seconds, it returns ms', () => {
    expect(parseRetryAfter('120', 0)).toBe(120_000);
  });
  test('when given an HTTP date, it returns the ms until then', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
  });
  test.each([undefined, '', 'soon', '-5'])('when given %p, it returns null', (v) => {
    expect(parseRetryAfter(v, 0)).toBeNull();
  });
});
