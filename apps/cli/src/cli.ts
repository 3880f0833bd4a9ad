import { extractGlobalFlags } from './args.js';
import { COMMANDS, type CommandEntry } from './catalog.js';
import { CliContext } from './context.js';
import { UsageError, toCliError } from './errors.js';
import { Output, type CliIo } from './output.js';

const HELP_HINT = 'Run "pnpm herald --help" for the commands and their options.';

export function generalUsage(): string {
  const lines = [
    'Usage: pnpm herald <command> [options] [--json]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(14)} ${c.summary}`),
    '',
    'Options for every command:',
    '  --json         print exactly one JSON document on stdout (errors as {"error":{"code","message"}})',
    '  -h, --help     show help (pnpm herald <command> --help for one command)',
    '',
    'Exit codes: 0 ok, 2 the command line is wrong, 1 anything else.',
    'Configuration comes from the environment (DATABASE_URL, REDIS_URL, HERALD_QUEUE_PREFIX, …).',
  ];
  return `${lines.join('\n')}\n`;
}

function commandUsage(command: CommandEntry): string {
  return `Usage: pnpm herald ${command.usage.replace(/\n/g, '\n                   ')} [--json]\n\n${command.summary}\n`;
}

/** Finds the command the leading words name; the rest are its arguments. */
export function findCommand(words: readonly string[]): { command: CommandEntry; args: string[] } {
  const [first, second] = words;
  if (first === undefined) throw new UsageError('no command given');
  if (first.startsWith('-')) {
    throw new UsageError(`expected a command before ${first} (options follow the command)`);
  }
  for (const command of COMMANDS) {
    const parts = command.name.split(' ');
    if (parts.every((part, i) => words[i] === part)) return { command, args: words.slice(parts.length) };
  }
  const group = COMMANDS.filter((c) => c.name.split(' ')[0] === first && c.name.includes(' '));
  if (group.length > 0) {
    const choices = group.map((c) => c.name.split(' ')[1]).join(', ');
    throw new UsageError(
      second === undefined || second.startsWith('-')
        ? `"${first}" needs a subcommand: ${choices}`
        : `unknown command "${first} ${second}" (${first} has: ${choices})`,
    );
  }
  throw new UsageError(`unknown command "${first}"`);
}

/**
 * Runs one command line and resolves its exit code; never throws. With
 * --json, stdout receives exactly one JSON document whatever happens.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const { json, help, rest } = extractGlobalFlags(argv);
  const output = new Output(io, json);
  const ctx = new CliContext(io, output);
  try {
    if (rest.length === 0 || (rest[0] === 'help' && rest.length === 1)) {
      if (!help && rest.length === 0) throw new UsageError('no command given');
      output.result({ usage: generalUsage() }, generalUsage);
      return 0;
    }
    const { command, args } = findCommand(rest);
    if (help) {
      output.result({ usage: commandUsage(command) }, () => commandUsage(command));
      return 0;
    }
    await (await command.load()).run(args, ctx);
    return 0;
  } catch (thrown) {
    const error = toCliError(thrown);
    output.error(error, error.code === 'usage' ? HELP_HINT : undefined);
    if (error.code === 'internal' && thrown instanceof Error && thrown.stack) {
      io.stderr.write(`${thrown.stack}\n`);
    }
    return error.exitCode;
  } finally {
    await closeWithin(ctx, io);
  }
}

const CLOSE_TIMEOUT_MS = 5_000;

/** The result is out already: a connection that will not close must not hold the exit code hostage. */
async function closeWithin(ctx: CliContext, io: CliIo): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    // Not unref'd: it also keeps the process alive until the exit code is known.
    timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
  });
  const outcome = await Promise.race([
    ctx.close().then(
      () => 'closed' as const,
      (error: unknown) => {
        io.stderr.write(`warning: closing connections failed: ${toCliError(error).message}\n`);
        return 'closed' as const;
      },
    ),
    timeout,
  ]);
  clearTimeout(timer);
  if (outcome === 'timeout') io.stderr.write('warning: connections did not close in time\n');
}
