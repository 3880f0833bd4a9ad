import { timingSafeEqual } from 'node:crypto';
import { parseSecret } from './secret.js';
import { computeSignature } from './sign.js';

export const DEFAULT_TOLERANCE_SECONDS = 300;

export type WebhookVerificationFailure =
  | 'missing_header'
  | 'invalid_header'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature'
  | 'invalid_payload';

/**
 * A delivery was refused: answer it with a 4xx and do not act on it.
 * `reason` is stable for programs; the message is for people and never
 * contains the secret.
 */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  constructor(
    readonly reason: WebhookVerificationFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type WebhookHeaders = Record<string, string | string[] | undefined> | Headers;

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way. Default 300. */
  toleranceSeconds?: number;
  /** The clock, in epoch milliseconds like `Date.now` (its default). */
  now?: () => number;
}

interface SignedHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

function single(name: string, values: string[]): string | undefined {
  const distinct = new Set(values);
  if (distinct.size > 1) {
    // Two different ids or timestamps: which one was signed is a guess, and
    // guessing is how parsers get confused into accepting forgeries.
    throw new WebhookVerificationError('invalid_header', `conflicting ${name} headers`);
  }
  return values[0];
}

function readHeaders(headers: WebhookHeaders): SignedHeaders {
  // A Record's values are strings or arrays, so only a Headers-like object
  // (the global one, or undici's) has a callable `get`.
  if (typeof headers.get === 'function') {
    const h = headers as Headers;
    return {
      id: h.get('webhook-id') ?? undefined,
      timestamp: h.get('webhook-timestamp') ?? undefined,
      signature: h.get('webhook-signature') ?? undefined,
    };
  }
  const ids: string[] = [];
  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    let bucket: string[];
    switch (name.toLowerCase()) {
      case 'webhook-id':
        bucket = ids;
        break;
      case 'webhook-timestamp':
        bucket = timestamps;
        break;
      case 'webhook-signature':
        bucket = signatures;
        break;
      default:
        continue;
    }
    if (typeof value === 'string') bucket.push(value);
    else if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string') bucket.push(item);
    }
  }
  return {
    id: single('webhook-id', ids),
    timestamp: single('webhook-timestamp', timestamps),
    // Several signature headers are as good as one with every signature in it.
    signature: signatures.length === 0 ? undefined : signatures.join(' '),
  };
}

/**
 * Checks a delivery the way a receiver must: `webhook-id`,
 * `webhook-timestamp` and `webhook-signature` present (names in any case),
 * the timestamp within `toleranceSeconds` of now in either direction, and at
 * least one of the space-separated `v1,` signatures made with `secret` over
 * the exact `rawBody` (other versions are ignored). Returns the parsed JSON
 * body; throws `WebhookVerificationError` otherwise.
 */
export function verifyWebhook(
  secret: string,
  rawBody: string | Buffer,
  headers: WebhookHeaders,
  options: VerifyWebhookOptions = {},
): unknown {
  const key = parseSecret(secret);
  const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
    throw new RangeError('toleranceSeconds must be a non-negative number');
  }
  const { id, timestamp, signature } = readHeaders(headers);
  if (!id || !timestamp || !signature) {
    const missing = [
      id ? undefined : 'webhook-id',
      timestamp ? undefined : 'webhook-timestamp',
      signature ? undefined : 'webhook-signature',
    ].filter((name) => name !== undefined);
    throw new WebhookVerificationError('missing_header', `missing ${missing.join(', ')} header`);
  }

  const timestampSeconds = /^\d{1,15}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  if (Number.isNaN(timestampSeconds)) {
    throw new WebhookVerificationError('invalid_header', 'webhook-timestamp is not whole unix seconds');
  }
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  if (nowSeconds - timestampSeconds > toleranceSeconds) {
    throw new WebhookVerificationError(
      'timestamp_too_old',
      `webhook-timestamp is more than ${toleranceSeconds} s in the past`,
    );
  }
  if (timestampSeconds - nowSeconds > toleranceSeconds) {
    throw new WebhookVerificationError(
      'timestamp_too_new',
      `webhook-timestamp is more than ${toleranceSeconds} s in the future`,
    );
  }

  // Compared as base64 text: a signature has one canonical spelling, and the
  // length (44 characters) is public, so only equal-length candidates reach
  // timingSafeEqual, which throws on a length mismatch.
  const expected = Buffer.from(computeSignature(key, id, timestampSeconds, rawBody));
  let isMatch = false;
  for (const token of signature.split(' ')) {
    if (!token.startsWith('v1,')) continue;
    const candidate = Buffer.from(token.slice(3));
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
      isMatch = true;
      break;
    }
  }
  if (!isMatch) {
    throw new WebhookVerificationError('no_matching_signature', 'no matching v1 signature');
  }

  const text = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new WebhookVerificationError('invalid_payload', 'the signed body is not JSON', {
      cause: error,
    });
  }
}
