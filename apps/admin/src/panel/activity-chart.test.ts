import type { ActivityBucket } from '@herald/engine';
import { buildActivityChart, niceCeiling } from './activity-chart.js';

const HOUR = 3_600_000;
const start = Date.UTC(2026, 10, 26, 11);
const empty = (i: number): ActivityBucket => ({
  hour: new Date(start + i * HOUR),
  attempts: 0,
  succeeded: 0,
  p50Ms: null,
  p95Ms: null,
});

describe('buildActivityChart', () => {
  test('axis ceilings are 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 10, 11, 120, 4_999].map(niceCeiling)).toEqual([1, 1, 5, 10, 10, 20, 200, 5_000]);
  });

  test('an empty day is 24 flat bars, no lines and no totals', () => {
    const chart = buildActivityChart(Array.from({ length: 24 }, (_, i) => empty(i)));
    expect(chart.bars).toHaveLength(24);
    expect(chart.bars.every((b) => b.height === 0)).toBe(true);
    expect(chart.successPoints).toBe('');
    expect(chart.totals).toEqual({ attempts: 0, succeeded: 0, successRate: null, worstP95Ms: null });
    expect(chart.labels.map((l) => l.text)).toEqual(['11:00', '17:00', '23:00', '05:00', '10:00']);
  });

  test('bars scale to the busiest hour; success and latency points sit where their values say', () => {
    const buckets = Array.from({ length: 24 }, (_, i) => empty(i));
    buckets[0] = { ...buckets[0]!, attempts: 10, succeeded: 5, p50Ms: 100, p95Ms: 200 };
    buckets[23] = { ...buckets[23]!, attempts: 4, succeeded: 4, p50Ms: 50, p95Ms: 80 };
    const chart = buildActivityChart(buckets);
    const { plot } = chart;
    expect(chart.maxAttempts).toBe(10);
    expect(chart.bars[0]!.height).toBe(plot.height);
    expect(chart.bars[23]!.height).toBe(plot.height * 0.4);
    expect(chart.bars[0]!.title).toBe('11:00 UTC: 10 attempts, 50% ok, p50 100 ms, p95 200 ms');
    // 50 % is half-way up, 100 % the top.
    expect(chart.dots.success.map((d) => d.y)).toEqual([plot.top + plot.height / 2, plot.top]);
    expect(chart.maxLatencyMs).toBe(200);
    expect(chart.dots.p95.map((d) => d.y)).toEqual([plot.top, plot.top + plot.height * 0.6]);
    expect(chart.totals).toEqual({ attempts: 14, succeeded: 9, successRate: 64.3, worstP95Ms: 200 });
  });
});
