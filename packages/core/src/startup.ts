/**
 * An error an operator fixes (bad environment, schema behind): entry points
 * print its message alone, without a stack, and exit 1.
 */
export class StartupError extends Error {
  override readonly name: string = 'StartupError';
}

/**
 * Runs an entry point's `main`. A StartupError prints its message; anything
 * else prints as a fatal error. Either way the exit code is 1. `main` may
 * resolve an exit code (a CLI) or nothing (a server, which exits on signals).
 */
export function runMain(main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof StartupError) {
        process.stderr.write(`${error.message}\n`);
      } else {
        process.stderr.write(
          `fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
      }
      process.exit(1);
    },
  );
}

/** Entry points the root scripts run compiled (scripts/run-compiled.mjs) rather than through tsx. */
const COMPILED_ENTRIES: ReadonlySet<string> = new Set(['apps/worker/src/main.ts']);

/**
 * node's arguments that start `entry` (a path from the repository root) as
 * `pnpm worker`, `pnpm admin`… do: the worker compiled (less memory and CPU),
 * the rest through tsx (the admin reads views and assets beside its source).
 */
export function nodeArgsFor(entry: string): string[] {
  return COMPILED_ENTRIES.has(entry) ? ['scripts/run-compiled.mjs', entry] : ['--import', 'tsx', entry];
}
