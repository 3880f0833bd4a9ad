import { createHmac } from 'node:crypto';
import { MAX_SECRET_BYTES, MIN_SECRET_BYTES } from './secret.js';

function assertKey(key: Buffer): void {
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new RangeError(
      `a signing key must be ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes, not ${key.length}`,
    );
  }
}

function assertTimestamp(timestampSeconds: number): void {
  // A fractional or negative value would be signed as written ("1.5") yet
  // never match the integer a receiver reads from `webhook-timestamp`.
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError(`a webhook timestamp must be whole unix seconds, not ${String(timestampSeconds)}`);
  }
}

/** Base64 HMAC-SHA256 over `{id}.{ts}.{body}`, without the `v1,` prefix. */
export function computeSignature(
  key: Buffer,
  msgId: string,
  timestampSeconds: number,
  body: string | Buffer,
): string {
  // Two updates instead of one concatenation: the body (often a Buffer of the
  // exact bytes sent) is hashed in place, never copied.
  return createHmac('sha256', key).update(`${msgId}.${timestampSeconds}.`).update(body).digest('base64');
}

/**
 * The Standard Webhooks v1 signature `v1,<base64 HMAC-SHA256>` of
 * `{msgId}.{timestampSeconds}.{body}`. A string body is hashed as UTF-8, so
 * pass the Buffer that goes on the wire when the two could differ.
 */
export function sign(
  secretKeyBytes: Buffer,
  msgId: string,
  timestampSeconds: number,
  body: string | Buffer,
): string {
  assertKey(secretKeyBytes);
  assertTimestamp(timestampSeconds);
  return `v1,${computeSignature(secretKeyBytes, msgId, timestampSeconds, body)}`;
}

/**
 * The `webhook-signature` header value: one `v1,` signature per secret,
 * space-separated, in the order given. Pass the newest secret first; during a
 * rotation receivers holding either the new or the previous secret verify.
 */
export function buildSignatureHeader(
  secrets: readonly Buffer[],
  msgId: string,
  timestampSeconds: number,
  body: string | Buffer,
): string {
  if (secrets.length === 0) {
    throw new RangeError('a signature header needs at least one secret');
  }
  assertTimestamp(timestampSeconds);
  let header = '';
  for (const key of secrets) {
    assertKey(key);
    const signature = computeSignature(key, msgId, timestampSeconds, body);
    header = header === '' ? `v1,${signature}` : `${header} v1,${signature}`;
  }
  return header;
}
