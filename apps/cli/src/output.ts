import type { CliError } from './errors.js';

/** What a command writes to: stdout for its result, stderr for everything else. */
export interface OutputStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
}

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * With `--json`, stdout gets exactly one JSON document (the result or the
 * error) and nothing else; without it, short human-readable text.
 */
export class Output {
  #written = false;

  constructor(
    private readonly io: CliIo,
    readonly isJson: boolean,
  ) {}

  /** The command's result: `json` as one document, or `human()` as text. */
  result(json: unknown, human: () => string): void {
    this.#once();
    if (this.isJson) this.io.stdout.write(`${JSON.stringify(json)}\n`);
    else this.io.stdout.write(ensureNewline(human()));
  }

  error(error: CliError, hint?: string): void {
    if (this.isJson) {
      // A result may already be out if closing failed afterwards; one document only.
      if (!this.#written) {
        this.#written = true;
        this.io.stdout.write(`${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`);
      }
      return;
    }
    this.io.stderr.write(`error: ${error.message}\n${hint ? `${hint}\n` : ''}`);
  }

  /** A note for the person at the terminal (stderr, never part of the result). */
  note(message: string): void {
    this.io.stderr.write(ensureNewline(message));
  }

  #once(): void {
    if (this.#written) throw new Error('a command wrote its result twice');
    this.#written = true;
  }
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

function display(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(display).join(', ');
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}: ${display(v)}`).join('; ');
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return '-';
}

/** `label: value` lines with the values aligned. */
export function formatFields(fields: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length)) + 1;
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)} ${display(value)}`).join('\n');
}

/** A plain table: a header row, then one row per item, columns padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [headers.map(String), ...rows.map((row) => row.map(display))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
