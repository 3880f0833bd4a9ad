import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** One JSON object on stdout instead of the table. */
  readonly json: boolean;
  readonly soak: boolean;
  readonly help: boolean;
  /** Scenario names to run (all when empty); ratios whose figures did not run are left out. */
  readonly only: readonly string[];
}

export const USAGE = 'usage: pnpm bench [--json] [--soak] [--only scenario[,scenario…]]\n';

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
      },
      strict: true,
      allowPositionals: false,
    });
    const only = (values.only ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    return {
      json: values.json ?? false,
      soak: values.soak ?? false,
      help: values.help ?? false,
      only,
    };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
