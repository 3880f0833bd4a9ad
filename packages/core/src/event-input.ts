import { ValidationError, type FieldIssue } from './errors.js';

export const EVENT_TYPE_PATTERN = /^[a-zA-Z0-9_.-]{1,256}$/;
export const MAX_EVENT_DATA_BYTES = 256 * 1024;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

// A NUL character, as JSON.stringify writes it: `\u0000` after an even run of
// backslashes (an odd run would make it the text "\u0000", which is fine).
const JSON_NUL = /(?<!\\)(?:\\\\)*\\u0000/;

/** True when JSON text holds a NUL character, which Postgres jsonb refuses. */
export function jsonHasNul(json: string): boolean {
  return JSON_NUL.test(json);
}

export interface EventInput {
  type: string;
  data: Record<string, unknown>;
  idempotencyKey?: string | undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Checks one event as producers give it (client, HTTP API, CLI) and returns
 * every problem with the field it concerns; `index` is set for batch items.
 * The serialized data is returned so callers need not stringify it twice.
 */
export function checkEventInput(
  input: unknown,
  options: { maxDataBytes?: number; index?: number } = {},
): { issues: FieldIssue[]; dataJson?: string } {
  const issues: FieldIssue[] = [];
  const at = (field: string, message: string): void => {
    issues.push(options.index === undefined ? { field, message } : { field, message, index: options.index });
  };
  if (!isPlainObject(input)) {
    at('event', 'must be an object with type and data');
    return { issues };
  }
  const { type, data, idempotencyKey } = input;
  if (typeof type !== 'string' || !EVENT_TYPE_PATTERN.test(type)) {
    at('type', 'must be 1–256 characters of letters, digits, "_", "." or "-"');
  }
  let dataJson: string | undefined;
  if (!isPlainObject(data)) {
    at('data', 'must be a JSON object');
  } else {
    try {
      dataJson = JSON.stringify(data);
    } catch {
      at('data', 'must be serializable as JSON');
    }
    const limit = options.maxDataBytes ?? MAX_EVENT_DATA_BYTES;
    if (dataJson !== undefined && Buffer.byteLength(dataJson, 'utf8') > limit) {
      at('data', `must be at most ${limit} bytes as JSON`);
    }
    // Postgres jsonb refuses NUL: caught here, it cannot fail a whole fan-out batch later.
    if (dataJson !== undefined && jsonHasNul(dataJson)) {
      at('data', 'must not contain the NUL character (\\u0000)');
    }
  }
  if (idempotencyKey !== undefined) {
    if (
      typeof idempotencyKey !== 'string' ||
      idempotencyKey.length === 0 ||
      idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH ||
      // Keys end up in Redis key names and logs: printable ASCII only.
      !/^[\x21-\x7e]+$/.test(idempotencyKey)
    ) {
      at(
        'idempotencyKey',
        `must be 1–${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters without spaces`,
      );
    }
  }
  return dataJson === undefined ? { issues } : { issues, dataJson };
}

/** Throws a ValidationError naming every bad field, or returns the event. */
export function parseEventInput(input: unknown, options: { maxDataBytes?: number } = {}): EventInput {
  const { issues } = checkEventInput(input, options);
  if (issues.length > 0) {
    throw new ValidationError(
      `invalid event: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return input as EventInput;
}
