import { ValidationError, type FieldIssue } from '@herald/core';
import { WEBHOOK_FORMATS, type WebhookFormat } from '@herald/db';
import { isValidEventFilter } from './event-filter.js';

/** Fields an admin, the CLI or the API may set (all optional except `url` on create). */
export interface WebhookInput {
  url?: unknown;
  description?: unknown;
  userAgent?: unknown;
  events?: unknown;
  format?: unknown;
  headers?: unknown;
  rateLimitPerSecond?: unknown;
}

export interface CheckedWebhookFields {
  description?: string;
  userAgent?: string | null;
  events?: string[];
  format?: WebhookFormat;
  headers?: Record<string, string>;
  rateLimitPerSecond?: number | null;
}

// Herald sets these itself; a custom header may never replace them.
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'host',
  'user-agent',
  'expect',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
]);
const RESERVED_PREFIXES = ['webhook-', 'herald-', 'proxy-', 'sec-'];
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const PRINTABLE = /^[\x20-\x7e\u00a0-\uffff]*$/;
const MAX_HEADERS = 20;
const MAX_EVENT_FILTERS = 100;
/** A webhook's rate limit: deliveries per second, 1 to this. */
export const MAX_RATE_LIMIT_PER_SECOND = 100_000;

export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADERS.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p));
}

/**
 * Checks every field but the URL (which needs DNS; see validateWebhookUrl) and
 * throws one ValidationError naming every bad field.
 */
export function checkWebhookFields(input: WebhookInput): CheckedWebhookFields {
  const issues: FieldIssue[] = [];
  const out: CheckedWebhookFields = {};
  const bad = (field: string, message: string): void => {
    issues.push({ field, message });
  };

  if (input.description !== undefined) {
    if (
      typeof input.description !== 'string' ||
      input.description.length > 1000 ||
      !PRINTABLE.test(input.description)
    ) {
      bad('description', 'must be at most 1,000 characters without control characters');
    } else out.description = input.description.trim();
  }
  if (input.userAgent !== undefined) {
    if (input.userAgent === null || input.userAgent === '') out.userAgent = null;
    else if (
      typeof input.userAgent !== 'string' ||
      input.userAgent.length > 512 ||
      !/^[\x20-\x7e]+$/.test(input.userAgent)
    ) {
      bad('userAgent', 'must be 1–512 printable ASCII characters');
    } else out.userAgent = input.userAgent.trim() || null;
  }
  if (input.events !== undefined) {
    if (!Array.isArray(input.events) || input.events.length > MAX_EVENT_FILTERS) {
      bad('events', `must be a list of at most ${MAX_EVENT_FILTERS} event types`);
    } else {
      const events = input.events as unknown[];
      const isBad = events.some((e) => typeof e !== 'string' || !isValidEventFilter(e));
      if (isBad) {
        bad(
          'events',
          'each entry must be an event type (auth.login.success), a prefix wildcard (auth.*) or *',
        );
      } else out.events = [...new Set(events as string[])];
    }
  }
  if (input.format !== undefined) {
    if (typeof input.format !== 'string' || !(WEBHOOK_FORMATS as readonly string[]).includes(input.format)) {
      bad('format', `must be one of ${WEBHOOK_FORMATS.join(', ')}`);
    } else out.format = input.format as WebhookFormat;
  }
  if (input.headers !== undefined) {
    const headers = input.headers;
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
      bad('headers', 'must be an object of header names to values');
    } else {
      const entries = Object.entries(headers as Record<string, unknown>);
      const problem =
        entries.length > MAX_HEADERS
          ? `at most ${MAX_HEADERS} headers`
          : entries
              .map(([name, value]) => {
                if (!HEADER_NAME.test(name)) return `"${name.slice(0, 40)}" is not a valid header name`;
                if (isReservedHeader(name)) return `${name} is set by Herald and cannot be overridden`;
                if (typeof value !== 'string' || value.length > 1000 || !/^[\x20-\x7e\t]*$/.test(value)) {
                  return `the value of ${name} must be at most 1,000 printable ASCII characters (no line breaks)`;
                }
                return undefined;
              })
              .find((m) => m !== undefined);
      const lower = new Set(entries.map(([n]) => n.toLowerCase()));
      if (problem) bad('headers', problem);
      else if (lower.size !== entries.length) bad('headers', 'a header name appears twice');
      else out.headers = Object.fromEntries(entries.map(([n, v]) => [n, String(v)]));
    }
  }
  if (input.rateLimitPerSecond !== undefined) {
    const r = input.rateLimitPerSecond;
    if (r === null) out.rateLimitPerSecond = null;
    else if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > MAX_RATE_LIMIT_PER_SECOND) {
      bad(
        'rateLimitPerSecond',
        `must be a whole number from 1 to ${MAX_RATE_LIMIT_PER_SECOND}, or null for no limit`,
      );
    } else out.rateLimitPerSecond = r;
  }
  if (issues.length > 0) {
    throw new ValidationError(
      `invalid webhook: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return out;
}
