import { availableParallelism } from 'node:os';

/**
 * `flag` is a 0/1 check (1 = it held); `µs` is per-item CPU time; `requests` is a count of HTTP
 * requests; `deliveries` a count of deliveries (lost, duplicated).
 */
export type Unit =
  'jobs/s' | 'events/s' | 'deliveries/s' | 'ms' | 'µs' | 'MB' | 'x' | 'flag' | 'requests' | 'deliveries';

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

/**
 * A bound a figure should stay within (`min`: at least, `max`: at most).
 * Declared up front like ratios; a target whose figure did not run is left out.
 */
export interface TargetSpec {
  readonly key: string;
  readonly bound: 'min' | 'max';
  readonly value: number;
}

export interface TargetResult extends TargetSpec {
  readonly actual: number;
  readonly ok: boolean;
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
  readonly targets: readonly TargetResult[];
}

const DECIMALS: Record<Unit, number> = {
  'jobs/s': 0,
  'events/s': 0,
  'deliveries/s': 0,
  ms: 2,
  µs: 0,
  MB: 1,
  x: 2,
  flag: 0,
  requests: 0,
  deliveries: 0,
};

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

/**
 * Checks each target against the figure of that key, as reported (rounded to
 * its unit's decimals), so the verdict agrees with the number a reader sees.
 */
export function checkTargets(
  results: readonly ScenarioResult[],
  specs: readonly TargetSpec[],
): TargetResult[] {
  const byKey = new Map(results.flatMap((r) => r.figures).map((f) => [f.key, f]));
  return specs.flatMap((spec) => {
    const figure = byKey.get(spec.key);
    if (figure === undefined) return [];
    const actual = round(figure.value, figure.unit);
    const ok = spec.bound === 'min' ? actual >= spec.value : actual <= spec.value;
    return [{ ...spec, actual, ok }];
  });
}

function describeTarget(target: TargetSpec): string {
  return `${target.bound === 'min' ? '≥' : '≤'} ${target.value}`;
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
  // Nested, like `machine`, so every top-level number stays a measured figure.
  out['targets'] = Object.fromEntries(
    report.targets.map((t) => [t.key, { [t.bound]: t.value, actual: t.actual, ok: t.ok }]),
  );
  out['targets_missed'] = report.targets.filter((t) => !t.ok).map((t) => t.key);
  return `${JSON.stringify(out)}\n`;
}

function formatValue(value: number, unit: Unit): string {
  const decimals = DECIMALS[unit];
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export function formatTable(report: BenchReport): string {
  const targets = new Map(report.targets.map((t) => [t.key, t]));
  const verdict = (key: string): string => {
    const target = targets.get(key);
    return target ? `${describeTarget(target)} ${target.ok ? 'ok' : 'MISSED'}` : '';
  };
  const header = ['scenario', 'figure', 'value', 'unit', 'target'] as const;
  const rows = report.results.flatMap(({ scenario, figures }) =>
    figures.map((f) => [scenario, f.label, formatValue(f.value, f.unit), f.unit, verdict(f.key)] as const),
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
  const keyWidth = Math.max(0, ...report.targets.map((t) => t.key.length));
  const targetLines =
    report.targets.length === 0
      ? []
      : [
          `targets (${report.targets.filter((t) => t.ok).length}/${report.targets.length} met):`,
          ...report.targets.map(
            (t) =>
              `  ${t.key.padEnd(keyWidth)}  ${t.actual} (target ${describeTarget(t)}) ${t.ok ? 'ok' : 'MISSED'}`,
          ),
          '',
        ];
  const { machine } = report;
  return [
    `machine: ${machine.cpus} cpus, node ${machine.node}, redis ${machine.redis}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    ...targetLines,
    `total ${report.durationS.toFixed(1)} s`,
    '',
  ].join('\n');
}
