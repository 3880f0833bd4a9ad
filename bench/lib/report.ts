import { availableParallelism } from 'node:os';

export type Unit = 'jobs/s' | 'deliveries/s' | 'ms' | 'MB' | 'x';

/** One measured number. `key` is its snake_case name in `--json` output and must be unique per run. */
export interface Figure {
  readonly key: string;
  readonly label: string;
  readonly value: number;
  readonly unit: Unit;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly figures: readonly Figure[];
}

/**
 * A figure derived from two others (herald / raw). Declared up front so a
 * ratio appears as soon as both of its scenarios ran, and silently not at
 * all when one of them was skipped (e.g. a raw-only run).
 */
export interface RatioSpec {
  readonly key: string;
  readonly label: string;
  readonly numerator: string;
  readonly denominator: string;
}

export interface Machine {
  readonly cpus: number;
  readonly node: string;
  readonly redis: string;
}

export interface BenchReport {
  readonly machine: Machine;
  readonly durationS: number;
  readonly results: readonly ScenarioResult[];
}

const DECIMALS: Record<Unit, number> = { 'jobs/s': 0, 'deliveries/s': 0, ms: 2, MB: 1, x: 2 };

function round(value: number, unit: Unit): number {
  const scale = 10 ** DECIMALS[unit];
  return Math.round(value * scale) / scale;
}

export function describeMachine(redisVersion: string): Machine {
  return { cpus: availableParallelism(), node: process.version, redis: redisVersion };
}

export function computeRatios(
  results: readonly ScenarioResult[],
  specs: readonly RatioSpec[],
): ScenarioResult {
  const byKey = new Map(results.flatMap((r) => r.figures).map((f) => [f.key, f.value]));
  const figures: Figure[] = [];
  for (const spec of specs) {
    const numerator = byKey.get(spec.numerator);
    const denominator = byKey.get(spec.denominator);
    if (numerator === undefined || denominator === undefined || denominator === 0) continue;
    figures.push({ key: spec.key, label: spec.label, value: numerator / denominator, unit: 'x' });
  }
  return { scenario: 'ratios', figures };
}

/** Flat snake_case keys, so a later run can be diffed against this one key by key. */
export function formatJson(report: BenchReport): string {
  const out: Record<string, unknown> = {
    machine: report.machine,
    duration_s: Math.round(report.durationS * 10) / 10,
  };
  for (const { figures } of report.results) {
    for (const figure of figures) {
      if (figure.key in out) throw new Error(`duplicate figure key: ${figure.key}`);
      out[figure.key] = round(figure.value, figure.unit);
    }
  }
  return `${JSON.stringify(out)}\n`;
}

function formatValue(value: number, unit: Unit): string {
  const decimals = DECIMALS[unit];
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export function formatTable(report: BenchReport): string {
  const header = ['scenario', 'figure', 'value', 'unit'] as const;
  const rows = report.results.flatMap(({ scenario, figures }) =>
    figures.map((f) => [scenario, f.label, formatValue(f.value, f.unit), f.unit] as const),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? cell.length;
        // Numbers right-aligned so their magnitudes line up.
        return i === 2 ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const { machine } = report;
  return [
    `machine: ${machine.cpus} cpus, node ${machine.node}, redis ${machine.redis}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `total ${report.durationS.toFixed(1)} s`,
    '',
  ].join('\n');
}
