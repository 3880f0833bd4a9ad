import { HealthyEndpoints } from './healthy-endpoints.js';

describe('HealthyEndpoints', () => {
  test('when a webhook was marked healthy, it stays so for the skip window and not a millisecond longer', () => {
    const healthy = new HealthyEndpoints(1_000);
    expect(healthy.isHealthy('wh_a', 0)).toBe(false);
    healthy.markHealthy('wh_a', 10_000);
    expect(healthy.isHealthy('wh_a', 10_000)).toBe(true);
    expect(healthy.isHealthy('wh_a', 10_999)).toBe(true);
    expect(healthy.isHealthy('wh_a', 11_000)).toBe(false);
    // Once expired it is gone, even if the clock goes back.
    expect(healthy.isHealthy('wh_a', 10_500)).toBe(false);
    expect(healthy.isHealthy('wh_b', 10_500)).toBe(false);
  });

  test('when a webhook is forgotten (a failure or 429 here), the next delivery asks the gate again', () => {
    const healthy = new HealthyEndpoints(1_000);
    healthy.markHealthy('wh_a', 0);
    healthy.forget('wh_a');
    expect(healthy.isHealthy('wh_a', 1)).toBe(false);
  });

  test('when the clock goes backwards, the mark is not trusted', () => {
    const healthy = new HealthyEndpoints(1_000);
    healthy.markHealthy('wh_a', 5_000);
    expect(healthy.isHealthy('wh_a', 4_000)).toBe(false);
  });

  test('when the skip window is 0, nothing is ever skipped', () => {
    const healthy = new HealthyEndpoints(0);
    healthy.markHealthy('wh_a', 0);
    expect(healthy.isHealthy('wh_a', 0)).toBe(false);
  });

  test('when more webhooks are marked than it keeps, it starts over rather than grow', () => {
    const healthy = new HealthyEndpoints(1_000);
    for (let i = 0; i < 10_000; i++) healthy.markHealthy(`wh_${i}`, 0);
    expect(healthy.isHealthy('wh_0', 1)).toBe(true);
    healthy.markHealthy('wh_new', 0);
    expect(healthy.isHealthy('wh_0', 1)).toBe(false);
    expect(healthy.isHealthy('wh_new', 1)).toBe(true);
  });
});
