/**
 * Undo steps registered as resources are made, run last-first whatever
 * happened in between: a failed step is logged and the rest still run, so a
 * scenario that fails half-way leaves no process, database or keys behind.
 */
export class Cleanup {
  readonly #steps: { name: string; run: () => Promise<unknown> }[] = [];
  readonly #log: (message: string) => void;

  constructor(log: (message: string) => void) {
    this.#log = log;
  }

  defer(name: string, run: () => Promise<unknown>): void {
    this.#steps.push({ name, run });
  }

  /** Runs every step; rejects with the first failure after all have run. */
  async run(): Promise<void> {
    let first: Error | undefined;
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (error) {
        this.#log(`cleanup: ${step.name} failed: ${error instanceof Error ? error.message : String(error)}`);
        first ??= error instanceof Error ? error : new Error(String(error));
      }
    }
    if (first !== undefined) throw first;
  }
}

/**
 * Runs `body` with a Cleanup and always runs it afterwards. When the body
 * failed, its error is the one reported (a cleanup failure is only logged).
 */
export async function withCleanup<T>(
  log: (message: string) => void,
  body: (cleanup: Cleanup) => Promise<T>,
): Promise<T> {
  const cleanup = new Cleanup(log);
  let result: T;
  try {
    result = await body(cleanup);
  } catch (error) {
    await cleanup.run().catch(() => undefined);
    throw error;
  }
  await cleanup.run();
  return result;
}
