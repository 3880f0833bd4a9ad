import { runMain } from '@herald/core';
import { runCli } from './cli.js';

// `pnpm herald <command>`: see `pnpm herald --help` and DESIGN.md §7 (CLI).
runMain(async () => {
  // `pnpm herald deliveries … | head` closes the pipe early: that is not a crash.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const code = await runCli(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
  // Everything was closed; should a stray handle still hold the loop, do not hang the shell.
  setTimeout(() => process.exit(code), 2_000).unref();
  return code;
});
