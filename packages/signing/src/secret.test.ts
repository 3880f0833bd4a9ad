import { generateSecret, InvalidSecretError, isValidSecret, parseSecret, SECRET_PREFIX } from './index.js';

function expectRefused(secret: string, message: RegExp): void {
  let caught: unknown;
  try {
    parseSecret(secret);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidSecretError);
  const text = (caught as Error).message;
  expect(text).toMatch(message);
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (encoded.length >= 8) expect(text).not.toContain(encoded);
  expect(isValidSecret(secret)).toBe(false);
}

describe('generateSecret', () => {
  test('when called without a size, it returns whsec_ and standard base64 of 32 random bytes', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(parseSecret(secret)).toHaveLength(32);
    expect(isValidSecret(secret)).toBe(true);
  });

  test('when called twice, the secrets differ', () => {
    expect(generateSecret()).not.toBe(generateSecret());
  });

  test('when asked for 24 or 64 bytes, it returns secrets of exactly that size', () => {
    expect(parseSecret(generateSecret(24))).toHaveLength(24);
    expect(parseSecret(generateSecret(64))).toHaveLength(64);
  });

  test('when asked for fewer than 24, more than 64 or a fractional number of bytes, it refuses', () => {
    expect(() => generateSecret(23)).toThrow(RangeError);
    expect(() => generateSecret(65)).toThrow(RangeError);
    expect(() => generateSecret(32.5)).toThrow(RangeError);
  });
});

describe('parseSecret', () => {
  test('when given a secret in the Standard Webhooks example format, it returns its key bytes', () => {
    const key = parseSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(key.toString('base64')).toBe('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  });

  test('when the padding is left off, the same key is returned', () => {
    const secret = generateSecret(32);
    expect(parseSecret(secret.replace(/=+$/, ''))).toEqual(parseSecret(secret));
  });

  test('when the whsec_ prefix is missing, it is refused without echoing the secret', () => {
    const bare = generateSecret().slice(SECRET_PREFIX.length);
    expectRefused(bare, /must start with "whsec_"/);
    expectRefused(`WHSEC_${bare}`, /must start with "whsec_"/);
  });

  test('when the rest is not standard base64, it is refused without echoing the secret', () => {
    const urlSafe = `whsec_${Buffer.alloc(32, 0xfb).toString('base64url')}`;
    expectRefused(urlSafe, /standard base64/);
    expectRefused('whsec_', /standard base64/);
    expectRefused('whsec_abc def ghi jkl mno pqr stu vwx', /standard base64/);
  });

  test('when the base64 has stray trailing bits, it is refused as non-canonical', () => {
    // 'B' carries bits that 'A' would not: both decode to the same bytes.
    const canonical = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const sloppy = canonical.replace(/.=$/, (m) => `${String.fromCharCode(m.charCodeAt(0) + 1)}=`);
    expect(Buffer.from(sloppy.slice(6), 'base64')).toEqual(parseSecret(canonical));
    expectRefused(sloppy, /canonical/);
  });

  test('when the key is shorter than 24 or longer than 64 bytes, it is refused with its size', () => {
    expectRefused(`whsec_${Buffer.alloc(16, 1).toString('base64')}`, /24–64 bytes, not 16/);
    expectRefused(`whsec_${Buffer.alloc(65, 1).toString('base64')}`, /24–64 bytes, not 65/);
  });

  test('when given something that is not a string, isValidSecret says no', () => {
    expect(isValidSecret(undefined)).toBe(false);
    expect(isValidSecret(42)).toBe(false);
    expect(() => parseSecret(42 as unknown as string)).toThrow(InvalidSecretError);
  });
});
