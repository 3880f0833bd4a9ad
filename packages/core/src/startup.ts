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

export const WORKER_ENTRY = 'apps/worker/src/main.ts';

/**
 * V8 heap flags of the worker process (README, Performance), which only the
 * command line can set. The young generation at Node 20's size: Node 22+
 * scales it with the machine's memory (128 MB of new space on a 24 GiB host,
 * worker RSS ~300 MB at concurrency 200). Old-generation growth between full
 * GCs at most 1.5×: RSS then no longer depends on when the last one ran, and
 * stays under 200 MB on Node 24 too (2× left it at 204–222 MB there; full
 * GCs twice as often cost ~0.2 s of pauses in a 35 s CPU run).
 * `pnpm worker` (package.json) and docker-compose.yml spell the same command;
 * a unit test keeps them equal.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16', '--heap-growing-percent=50'];

/**
 * node's arguments that start `entry` (a path from the repository root) as
 * `pnpm worker`, `pnpm admin`… do: the worker compiled (less memory and CPU),
 * the rest through tsx (the admin reads views and assets beside its source);
 * `extraNodeFlags` (profiling, say) go before the script.
 */
export function nodeArgsFor(entry: string, extraNodeFlags: readonly string[] = []): string[] {
  // Extra flags after ours: where both set one, node takes the last.
  return entry === WORKER_ENTRY
    ? [...WORKER_NODE_FLAGS, ...extraNodeFlags, 'scripts/run-compiled.mjs', entry]
    : [...extraNodeFlags, '--import', 'tsx', entry];
}
