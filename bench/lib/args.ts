import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** One JSON object on stdout instead of the table. */
  readonly json: boolean;
  readonly soak: boolean;
  /** --soak-minutes, --rate, --soak-workers (only with --soak). */
  readonly soakMinutes: number;
  readonly soakRate: number;
  readonly soakWorkers: number;
  readonly help: boolean;
  /** Scenario names to run (all when empty); ratios whose figures did not run are left out. */
  readonly only: readonly string[];
}

export const USAGE =
  'usage: pnpm bench [--json] [--only scenario[,scenario…]]\n' +
  '       pnpm bench --soak [--soak-minutes 5] [--rate 200] [--soak-workers 2] [--json]\n';

const SOAK_DEFAULTS = { minutes: 5, rate: 200, workers: 2 } as const;

/** Bad command line: the caller prints the message and USAGE, and exits 2. */
export class UsageError extends Error {}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  // `pnpm bench -- --json` passes the separator through; read past it as npm would.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  try {
    const { values } = parseArgs({
      args: [...args],
      options: {
        json: { type: 'boolean' },
        soak: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        only: { type: 'string' },
        'soak-minutes': { type: 'string' },
        rate: { type: 'string' },
        'soak-workers': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    const only = (values.only ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const soak = values.soak ?? false;
    for (const flag of ['soak-minutes', 'rate', 'soak-workers'] as const) {
      if (values[flag] !== undefined && !soak) throw new UsageError(`--${flag} goes with --soak`);
    }
    if (soak && only.length > 0) throw new UsageError('--soak runs the soak alone; drop --only');
    return {
      json: values.json ?? false,
      soak,
      help: values.help ?? false,
      only,
      soakMinutes: numberArg('soak-minutes', values['soak-minutes'], SOAK_DEFAULTS.minutes, 0.5, 24 * 60),
      soakRate: wholeArg('rate', values.rate, SOAK_DEFAULTS.rate, 1, 20_000),
      soakWorkers: wholeArg('soak-workers', values['soak-workers'], SOAK_DEFAULTS.workers, 1, 8),
    };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function numberArg(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max))
    throw new UsageError(`--${name} must be a number from ${min} to ${max}`);
  return value;
}

function wholeArg(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw !== undefined && !/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number`);
  return numberArg(name, raw, fallback, min, max);
}
