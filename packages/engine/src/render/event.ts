import { truncate } from './text.js';

/** The event a renderer turns into a platform message. */
export interface RenderableEvent {
  id: string;
  type: string;
  /** ISO-8601. */
  timestamp: string;
  data: unknown;
}

export type EventFamily = 'success' | 'failure' | 'security' | 'info';

const SECURITY_SEGMENTS = new Set([
  'hwid',
  'blacklist',
  'blacklisted',
  'ban',
  'banned',
  'spoof',
  'bruteforce',
]);
const FAILURE_WORDS = new Set([
  'failed',
  'failure',
  'fail',
  'error',
  'declined',
  'rejected',
  'denied',
  'refused',
]);
const SUCCESS_WORDS = new Set([
  'success',
  'succeeded',
  'ok',
  'completed',
  'complete',
  'created',
  'registered',
  'register',
  'redeemed',
  'paid',
  'approved',
  'activated',
]);

function segments(type: string): string[] {
  return type
    .toLowerCase()
    .split(/[.:/]/)
    .flatMap((s) => s.split(/[_-]/))
    .filter(Boolean);
}

/**
 * success (green), failure (red) or security (orange: failed logins, hwid.*,
 * blacklist.*, bans); anything else is info.
 */
export function eventFamily(type: string): EventFamily {
  const parts = segments(type);
  const failed = parts.some((p) => FAILURE_WORDS.has(p));
  if (parts.some((p) => SECURITY_SEGMENTS.has(p))) return 'security';
  if (failed && parts.includes('login')) return 'security';
  if (failed) return 'failure';
  if (parts.some((p) => SUCCESS_WORDS.has(p))) return 'success';
  return 'info';
}

export const FAMILY_COLOUR: Record<EventFamily, number> = {
  success: 0x2ecc71,
  failure: 0xe74c3c,
  security: 0xe67e22,
  info: 0x3498db,
};

export const FAMILY_EMOJI: Record<EventFamily, string> = {
  success: '✅',
  failure: '❌',
  security: '🛡️',
  info: 'ℹ️',
};

/**
 * A readable title: `auth.login.failed` → "Login failed", `payment.success`
 * → "Payment success". The first segment of a three-part type is its
 * namespace and is dropped.
 */
export function titleFromType(type: string): string {
  let parts = type.split('.').filter(Boolean);
  if (parts.length > 2) parts = parts.slice(1);
  const words = parts
    .join(' ')
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  if (words === '') return 'Event';
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export interface EventField {
  name: string;
  value: string;
}

const MAX_DEPTH = 2;
// Values longer than this are cut before any renderer sees them (a 10 MB string stays cheap).
const MAX_RAW_VALUE = 4_096;
const MAX_FIELDS = 200;

function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  try {
    // Undefined for functions and symbols, whatever the lib types say.
    const json: string | undefined = JSON.stringify(value);
    return json ?? typeof value;
  } catch {
    return '[unprintable]';
  }
}

/**
 * The key fields of `data`, flattened: nested objects become dotted names
 * (two levels deep, deeper ones as compact JSON), arrays stay JSON. A
 * non-object `data` is one field named "data".
 */
export function eventFields(data: unknown): EventField[] {
  const out: EventField[] = [];
  const walk = (value: unknown, prefix: string, depth: number): void => {
    if (out.length >= MAX_FIELDS) return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < MAX_DEPTH) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0 && prefix !== '') out.push({ name: prefix, value: '{}' });
      for (const [key, inner] of entries) walk(inner, prefix === '' ? key : `${prefix}.${key}`, depth + 1);
      return;
    }
    out.push({ name: prefix === '' ? 'data' : prefix, value: truncate(valueText(value), MAX_RAW_VALUE) });
  };
  walk(data, '', 0);
  return out;
}

/** A readable UTC time for text (`2026-11-27 08:55:12 UTC`), or the input if unparsable. */
export function readableTime(timestamp: string): string {
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) return timestamp;
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** The timestamp as ISO-8601, or null if it is not a date. */
export function isoTime(timestamp: string): string | null {
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
