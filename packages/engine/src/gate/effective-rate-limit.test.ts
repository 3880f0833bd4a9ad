import { PLATFORM_PACING, effectiveRateLimit } from './endpoint-gate.js';

describe('effectiveRateLimit', () => {
  test('no limit and no platform pace: none', () => {
    expect(effectiveRateLimit(null, undefined)).toBeNull();
    expect(effectiveRateLimit(0, undefined)).toBeNull();
  });

  test("the webhook's own limit allows a second's worth back to back", () => {
    expect(effectiveRateLimit(5, undefined)).toEqual({ max: 5, perMs: 1_000, burst: 5 });
  });

  test('Discord is paced to 30 a minute, Telegram to 20, evenly spaced', () => {
    expect(effectiveRateLimit(null, PLATFORM_PACING.discord)).toEqual({ max: 30, perMs: 60_000, burst: 1 });
    expect(effectiveRateLimit(null, PLATFORM_PACING.telegram)).toEqual({ max: 20, perMs: 60_000, burst: 1 });
    expect(PLATFORM_PACING.slack).toBeUndefined();
    expect(PLATFORM_PACING.standard).toBeUndefined();
  });

  test('the stricter of the two wins', () => {
    // 10/s is looser than 30/min: the platform's pace applies.
    expect(effectiveRateLimit(10, PLATFORM_PACING.discord)).toEqual({ max: 30, perMs: 60_000, burst: 1 });
    // 2/s is stricter than a pace of 10/s.
    expect(effectiveRateLimit(2, { max: 10, perMs: 1_000 })).toEqual({ max: 2, perMs: 1_000, burst: 2 });
  });
});
