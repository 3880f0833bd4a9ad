import { randomBytes } from 'node:crypto';

/** Every webhook signing secret starts with this (the Standard Webhooks convention). */
export const SECRET_PREFIX = 'whsec_';
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * A webhook secret was refused. The message describes what is wrong with it
 * and never contains the secret, so it is safe to log or show in a form.
 */
export class InvalidSecretError extends Error {
  override readonly name = 'InvalidSecretError';
}

/** `whsec_` + standard base64 of `bytes` random bytes (24–64; 32 by default). */
export function generateSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    throw new RangeError(
      `a webhook secret must be ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes, not ${bytes}`,
    );
  }
  return SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

/**
 * The key bytes of a `whsec_…` secret. Throws `InvalidSecretError` when the
 * prefix is missing, the rest is not canonical standard base64 (padding
 * optional), or it does not decode to 24–64 bytes.
 */
export function parseSecret(secret: string): Buffer {
  if (typeof secret !== 'string' || !secret.startsWith(SECRET_PREFIX)) {
    throw new InvalidSecretError(`a webhook secret must start with "${SECRET_PREFIX}"`);
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) {
    throw new InvalidSecretError(`a webhook secret must be standard base64 after "${SECRET_PREFIX}"`);
  }
  const key = Buffer.from(encoded, 'base64');
  // Buffer.from silently drops trailing bits and stray padding; requiring the
  // round trip means one secret has exactly one spelling.
  if (key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw new InvalidSecretError(
      `a webhook secret must be canonical standard base64 after "${SECRET_PREFIX}"`,
    );
  }
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new InvalidSecretError(
      `a webhook secret must decode to ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes, not ${key.length}`,
    );
  }
  return key;
}

/** Whether `parseSecret` would accept `secret`. */
export function isValidSecret(secret: unknown): secret is string {
  if (typeof secret !== 'string') return false;
  try {
    parseSecret(secret);
    return true;
  } catch {
    return false;
  }
}
