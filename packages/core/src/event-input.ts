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

// A lone UTF-16 surrogate, as JSON.stringify writes it: an escape (it writes a
// valid pair as the character itself), after an even run of backslashes.
const JSON_LONE_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/i;

/**
 * True when JSON text (from JSON.stringify) holds a lone surrogate — a string
 * cut inside an emoji, say — which Postgres jsonb refuses
 * ("Unicode low surrogate must follow a high surrogate").
 */
export function jsonHasLoneSurrogate(json: string): boolean {
  return JSON_LONE_SURROGATE.test(json);
}

/**
 * Deepest nesting of arrays and objects allowed in event data. Postgres'
 * jsonb parser recurses and gives up ("stack depth limit exceeded") at a few
 * thousand levels, which 256 KiB could otherwise reach; real payloads nest a
 * handful deep.
 */
export const MAX_EVENT_DATA_DEPTH = 64;

/** How deep arrays and objects nest in JSON text (0 for a scalar); strings are skipped. */
export function jsonDepth(json: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/**
 * Why Postgres would refuse this serialized event data, as a field message
 * (undefined: it would not). Every producer checks it, and so does the worker
 * on a job made elsewhere: caught before publishing, such data cannot be
 * delivered by a first attempt and then fail the event's rows.
 */
export function jsonDataProblem(json: string): string | undefined {
  // Both come as escapes: JSON without a backslash has neither (most events; this is per publish).
  if (json.includes('\\')) {
    if (jsonHasNul(json)) return 'must not contain the NUL character (\\u0000)';
    if (jsonHasLoneSurrogate(json)) {
      return 'must not contain a lone UTF-16 surrogate (half of a character, e.g. a string cut inside an emoji)';
    }
  }
  // Nesting past the limit takes more brackets than a short text has.
  if (json.length > 2 * MAX_EVENT_DATA_DEPTH && jsonDepth(json) > MAX_EVENT_DATA_DEPTH) {
    return `must not nest arrays and objects more than ${MAX_EVENT_DATA_DEPTH} deep`;
  }
  return undefined;
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
    // What Postgres jsonb refuses, caught here, cannot fail the event's rows later.
    const problem = dataJson === undefined ? undefined : jsonDataProblem(dataJson);
    if (problem !== undefined) at('data', problem);
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
