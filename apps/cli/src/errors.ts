import { NotFoundError, StartupError, ValidationError } from '@herald/core';

/**
 * A failure the CLI reports as `{"error":{"code","message"}}`. `exitCode` is
 * 2 for usage errors (the command line itself is wrong), 1 for the rest.
 */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}

/** The command line is wrong: unknown command or option, missing or malformed value. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('usage', message, 2);
  }
}

// Node's and pg's codes for "the service is not there".
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** Maps anything thrown by a command to what the CLI prints. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof ValidationError) return new CliError('validation', validationMessage(error));
  if (error instanceof NotFoundError) return new CliError('not_found', error.message);
  // Bad environment, schema behind ("run pnpm migrate"), unusable secret key.
  if (error instanceof StartupError) return new CliError('config', error.message);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
    return new CliError('unavailable', `cannot connect: ${(error as Error).message}`);
  }
  if (error instanceof AggregateError && error.errors.length > 0) {
    // Node reports a refused dual-stack connect as an AggregateError of both attempts.
    const first = toCliError(error.errors[0]);
    if (first.code === 'unavailable') return first;
  }
  return new CliError('internal', error instanceof Error ? error.message : String(error));
}

/** The message plus whatever the issues say that it does not ("invalid status" → which values). */
function validationMessage(error: ValidationError): string {
  const missing = error.issues
    .filter((issue) => !error.message.includes(issue.message))
    .map((issue) => `${issue.field} ${issue.message}`);
  return missing.length > 0 ? `${error.message}: ${missing.join('; ')}` : error.message;
}
