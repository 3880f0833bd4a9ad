import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type Values<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>
>['values'];

/** Flags every command takes; found anywhere before a `--`. */
export interface GlobalFlags {
  json: boolean;
  help: boolean;
  rest: string[];
}

export function extractGlobalFlags(argv: readonly string[]): GlobalFlags {
  let json = false;
  let help = false;
  const rest: string[] = [];
  let isAfterTerminator = false;
  for (const arg of argv) {
    if (isAfterTerminator) rest.push(arg);
    else if (arg === '--') {
      isAfterTerminator = true;
      rest.push(arg);
    } else if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else rest.push(arg);
  }
  return { json, help, rest };
}

function quoteArg(text: string): string {
  return /^[\w./:@=,*+-]+$/.test(text) ? text : JSON.stringify(text);
}

function describeParseError(command: string, error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const named = /'(-{1,2}[^' <]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${named ?? ''} for "${command}"`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /argument missing/.test(message)
      ? `${named ?? 'an option'} needs a value`
      : `${named ?? 'an option'} ${/takes no argument|does not take an argument/.test(message) ? 'takes no value' : 'has a bad value'}`;
  }
  return message;
}

/**
 * Parses one command's arguments strictly: unknown options, a missing value,
 * a single-value option given twice and extra positionals are usage errors.
 */
export function parseCommandArgs<const O extends OptionsConfig>(
  command: string,
  args: readonly string[],
  options: O,
  maxPositionals = 0,
): { values: Values<O>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true, tokens: true });
  } catch (error) {
    throw new UsageError(describeParseError(command, error));
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || options[token.name]?.multiple) continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once`);
    seen.add(token.name);
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals[maxPositionals] ?? '';
    throw new UsageError(
      maxPositionals === 0
        ? `unexpected argument ${quoteArg(extra)} for "${command}"`
        : `too many arguments for "${command}" (quote values that contain spaces)`,
    );
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/** A required option's value; missing or empty is a usage error. */
export function requireOption(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`missing --${flag}`);
  if (value.trim() === '') throw new UsageError(`--${flag} needs a value`);
  return value;
}

/** One of `choices`, exactly as written there (surrounding spaces aside). */
export function parseChoice<T extends string>(text: string, flag: string, choices: readonly T[]): T {
  const choice = choices.find((c) => c === text.trim());
  if (choice === undefined) {
    throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, not ${quoteArg(text)}`);
  }
  return choice;
}

/** A whole number from 1 to `max`, written as plain digits. */
export function parsePositiveInteger(text: string, flag: string, max = 1_000_000): number {
  const value = /^\d{1,10}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new UsageError(`--${flag} must be a whole number from 1 to ${max}, not ${quoteArg(text)}`);
  }
  return value;
}

// A date, or a date and time with optional seconds, fraction and offset.
const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

// JavaScript rolls 2025-02-30 over to March 2 instead of refusing it.
function isCalendarDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * An ISO-8601 time (`2025-01-31`, `2025-01-31T12:00:00Z`). A date alone is
 * midnight UTC; a time without an offset is local time, as JavaScript reads it.
 */
export function parseIsoTime(text: string, flag: string): Date {
  const trimmed = text.trim();
  const date = ISO_TIME.test(trimmed) ? new Date(trimmed.replace(' ', 'T')) : undefined;
  if (!date || Number.isNaN(date.getTime()) || !isCalendarDate(trimmed)) {
    throw new UsageError(
      `--${flag} must be an ISO-8601 time such as 2025-01-31T12:00:00Z, not ${quoteArg(text)}`,
    );
  }
  return date;
}

/** `--data` and the like: any JSON text. */
export function parseJsonOption(text: string, flag: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(
      `--${flag} is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** `--header 'K: V'` (repeatable): split on the first colon, both sides trimmed. */
export function parseHeaderOptions(list: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  const seen = new Set<string>();
  for (const entry of list) {
    const colon = entry.indexOf(':');
    const name = colon < 0 ? '' : entry.slice(0, colon).trim();
    if (name === '') throw new UsageError(`--header must look like 'Name: value', not ${quoteArg(entry)}`);
    if (seen.has(name.toLowerCase())) throw new UsageError(`--header ${name} is given more than once`);
    seen.add(name.toLowerCase());
    headers[name] = entry.slice(colon + 1).trim();
  }
  return headers;
}

/** `--events a,b.*`: comma-separated, blanks dropped; empty means every event. */
export function parseListOption(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
