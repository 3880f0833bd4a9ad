import { ValidationError, checkEventInput, type EventInput, type FieldIssue } from '@herald/core';

const EVENT_FIELDS = new Set(['type', 'data', 'idempotencyKey']);
// More than this many problems are counted, not listed.
const MAX_LISTED = 10;

/** One event as read from the file, with the line it came from. */
export interface FileEvent extends EventInput {
  line: number;
}

/**
 * Reads NDJSON events: one `{"type","data","idempotencyKey"?}` per line,
 * blank lines skipped. Every line is checked before anything is returned, so
 * one bad line means nothing is published; the error names each bad line
 * (issues carry the line number as `index`).
 */
export function parseEventLines(text: string): FileEvent[] {
  const events: FileEvent[] = [];
  const issues: FieldIssue[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const source = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (source.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      issues.push({ index: line, field: 'line', message: `is not valid JSON (${why})` });
      return;
    }
    const found = checkEventInput(value, { index: line }).issues;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const unknown = Object.keys(value).filter((key) => !EVENT_FIELDS.has(key));
      if (unknown.length > 0) {
        found.push({
          index: line,
          field: unknown[0]!,
          message: `is not an event field (expected type, data, idempotencyKey)`,
        });
      }
    }
    if (found.length > 0) {
      issues.push(...found);
      return;
    }
    const event = value as EventInput;
    events.push({
      line,
      type: event.type,
      data: event.data,
      ...(event.idempotencyKey === undefined ? {} : { idempotencyKey: event.idempotencyKey }),
    });
  });
  if (issues.length > 0) {
    const listed = issues
      .slice(0, MAX_LISTED)
      .map((issue) =>
        issue.field === 'line'
          ? `line ${issue.index}: ${issue.message}`
          : `line ${issue.index}: ${issue.field} ${issue.message}`,
      );
    const more = issues.length > MAX_LISTED ? `; and ${issues.length - MAX_LISTED} more` : '';
    throw new ValidationError(`invalid events file, nothing published: ${listed.join('; ')}${more}`, issues);
  }
  return events;
}
