import { randomFillSync } from 'node:crypto';

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

/** Random bytes drawn from the CSPRNG in blocks: one system call per 409 ids instead of per id. */
const RANDOM_BYTES_PER_ID = 10;
const POOL_SIZE = RANDOM_BYTES_PER_ID * 409;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** The time part of the last id made, for the millisecond it was made in. */
let lastTimeMs = -1;
let lastTime = '';

function encodeTime(nowMs: number): string {
  if (nowMs === lastTimeMs) return lastTime;
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  lastTimeMs = nowMs;
  lastTime = time;
  return time;
}

/** 40 bits (5 bytes, big-endian) as 8 base32 digits. */
function encode40(b: Buffer, o: number): string {
  const b0 = b[o]!;
  const b1 = b[o + 1]!;
  const b2 = b[o + 2]!;
  const b3 = b[o + 3]!;
  const b4 = b[o + 4]!;
  return (
    ALPHABET[b0 >> 3]! +
    ALPHABET[((b0 & 7) << 2) | (b1 >> 6)]! +
    ALPHABET[(b1 >> 1) & 31]! +
    ALPHABET[((b1 & 1) << 4) | (b2 >> 4)]! +
    ALPHABET[((b2 & 15) << 1) | (b3 >> 7)]! +
    ALPHABET[(b3 >> 2) & 31]! +
    ALPHABET[((b3 & 3) << 3) | (b4 >> 5)]! +
    ALPHABET[b4 & 31]!
  );
}

/**
 * A ULID-style id: 48-bit millisecond timestamp then 80 random bits, 26
 * base32 characters, behind a kind prefix (`dlv_01JD…`). Ids made later sort
 * later, which keeps B-tree inserts at the right edge of the index. Made on
 * every publish, delivery and attempt, so it is kept cheap: the random bits
 * come from a pooled CSPRNG buffer, and the time part is reused within a millisecond.
 */
export function newId(kind: IdKind, nowMs: number = Date.now()): string {
  if (poolOffset + RANDOM_BYTES_PER_ID > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const o = poolOffset;
  poolOffset += RANDOM_BYTES_PER_ID;
  return `${ID_PREFIXES[kind]}_${encodeTime(nowMs)}${encode40(pool, o)}${encode40(pool, o + 5)}`;
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
