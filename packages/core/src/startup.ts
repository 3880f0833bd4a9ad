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
