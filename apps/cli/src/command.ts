import type { CliContext } from './context.js';

/**
 * One CLI command. `parse` turns its arguments into input and throws
 * UsageError (or ValidationError) before anything is opened; `execute` does
 * the work and writes exactly one result through `ctx.output`.
 */
export interface Command<I> {
  /** The words that select it: `webhook add`, `publish`. */
  name: string;
  parse(args: readonly string[]): I;
  execute(input: I, ctx: CliContext): Promise<void>;
}

export interface RunnableCommand {
  name: string;
  run(args: readonly string[], ctx: CliContext): Promise<void>;
}

export function defineCommand<I>(command: Command<I>): Command<I> & RunnableCommand {
  return {
    ...command,
    run: (args, ctx) => command.execute(command.parse(args), ctx),
  };
}
