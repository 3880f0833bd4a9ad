import { randomBytes } from 'node:crypto';

// Crockford base32: sortable as plain strings, no ambiguous letters, no ':'
// (BullMQ job ids must not contain ':').
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const ID_PREFIXES = {
  admin: 'adm',
  app: 'app',
  apiKey: 'key',
  webhook: 'wh',
  event: 'msg',
  delivery: 'dlv',
  attempt: 'att',
  audit: 'aud',
  replay: 'rpl',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/**
 * A ULID-style id: 48-bit millisecond timestamp then 80 random bits, 26
 * base32 characters, behind a kind prefix (`dlv_01JD…`). Ids made later sort
 * later, which keeps B-tree inserts at the right edge of the index.
 */
export function newId(kind: IdKind, nowMs: number = Date.now()): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(10);
  let random = '';
  // 80 bits = 16 base32 digits; read them 5 bits at a time.
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      random += ALPHABET[(acc >> bits) & 31]!;
    }
    acc &= (1 << bits) - 1;
  }
  return `${ID_PREFIXES[kind]}_${time}${random}`;
}

const ID_PATTERN = /^[a-z]{2,3}_[0-9A-HJKMNP-TV-Z]{26}$/;

/** The millisecond timestamp an id was made at (its first 10 characters), or undefined if malformed. */
export function idTimeMs(id: string): number | undefined {
  if (!ID_PATTERN.test(id)) return undefined;
  const time = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  let ms = 0;
  for (const char of time) ms = ms * 32 + ALPHABET.indexOf(char);
  return ms;
}

/** True when `value` is a well-formed id of `kind`. */
export function isId(kind: IdKind, value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(`${ID_PREFIXES[kind]}_`) && ID_PATTERN.test(value);
}
