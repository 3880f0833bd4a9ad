import type { ActivityBucket } from '@herald/engine';

/** Geometry of the 24 h chart, all numbers: the view draws it as SVG (no script, nothing user-given). */
export interface ActivityChart {
  width: number;
  height: number;
  /** Plot area inside the axes. */
  plot: { left: number; top: number; width: number; height: number };
  bars: { x: number; y: number; width: number; height: number; title: string }[];
  /** Success %, p50 and p95 as polylines (plus dots) over the hours that had attempts. */
  successPoints: string;
  p50Points: string;
  p95Points: string;
  dots: { success: Point[]; p50: Point[]; p95: Point[] };
  maxAttempts: number;
  maxLatencyMs: number;
  /** Hour labels under the axis (every 6 hours). */
  labels: { x: number; text: string }[];
  totals: { attempts: number; succeeded: number; successRate: number | null; worstP95Ms: number | null };
  buckets: (ActivityBucket & { successRate: number | null; label: string })[];
}

export interface Point {
  x: number;
  y: number;
}

const WIDTH = 720;
const HEIGHT = 170;
const PLOT = { left: 40, top: 10, width: 640, height: 130 };

function hourLabel(date: Date): string {
  return `${String(date.getUTCHours()).padStart(2, '0')}:00`;
}

/** A "nice" ceiling for an axis (1, 2, 5 × 10^n). */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function buildActivityChart(buckets: readonly ActivityBucket[]): ActivityChart {
  const slot = PLOT.width / Math.max(1, buckets.length);
  const maxAttempts = niceCeiling(Math.max(0, ...buckets.map((b) => b.attempts)));
  const maxLatencyMs = niceCeiling(Math.max(0, ...buckets.map((b) => b.p95Ms ?? 0)));
  const yOf = (fraction: number) => PLOT.top + PLOT.height * (1 - fraction);
  const xOf = (i: number) => PLOT.left + slot * i + slot / 2;
  const round = (n: number) => Math.round(n * 10) / 10;
  const points = (values: (number | null)[], max: number): Point[] =>
    values.flatMap((v, i) => (v === null ? [] : [{ x: round(xOf(i)), y: round(yOf(Math.min(v / max, 1))) }]));
  const line = (pts: Point[]) => pts.map((p) => `${p.x},${p.y}`).join(' ');
  const withRates = buckets.map((b) => ({
    ...b,
    successRate: b.attempts === 0 ? null : Math.round((b.succeeded / b.attempts) * 1000) / 10,
    label: hourLabel(b.hour),
  }));
  const success = points(
    withRates.map((b) => b.successRate),
    100,
  );
  const p50 = points(
    buckets.map((b) => b.p50Ms),
    maxLatencyMs,
  );
  const p95 = points(
    buckets.map((b) => b.p95Ms),
    maxLatencyMs,
  );
  const attempts = buckets.reduce((n, b) => n + b.attempts, 0);
  const succeeded = buckets.reduce((n, b) => n + b.succeeded, 0);
  const p95s = buckets.map((b) => b.p95Ms).filter((v): v is number => v !== null);
  return {
    width: WIDTH,
    height: HEIGHT,
    plot: PLOT,
    bars: withRates.map((b, i) => {
      const h = (b.attempts / maxAttempts) * PLOT.height;
      return {
        x: round(PLOT.left + slot * i + slot * 0.15),
        y: round(PLOT.top + PLOT.height - h),
        width: round(slot * 0.7),
        height: round(h),
        title:
          `${b.label} UTC: ${b.attempts} attempt${b.attempts === 1 ? '' : 's'}` +
          (b.successRate === null ? '' : `, ${b.successRate}% ok, p50 ${b.p50Ms} ms, p95 ${b.p95Ms} ms`),
      };
    }),
    successPoints: line(success),
    p50Points: line(p50),
    p95Points: line(p95),
    dots: { success, p50, p95 },
    maxAttempts,
    maxLatencyMs,
    labels: withRates
      .map((b, i) => ({ i, b }))
      .filter(({ i }) => i % 6 === 0 || i === buckets.length - 1)
      .map(({ i, b }) => ({ x: round(xOf(i)), text: b.label })),
    totals: {
      attempts,
      succeeded,
      successRate: attempts === 0 ? null : Math.round((succeeded / attempts) * 1000) / 10,
      worstP95Ms: p95s.length === 0 ? null : Math.max(...p95s),
    },
    buckets: withRates,
  };
}
