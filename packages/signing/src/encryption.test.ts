import { randomBytes } from 'node:crypto';
import {
  createKeyring,
  decryptSecret,
  encryptSecret,
  generateSecret,
  keyIdOf,
  keyIdOfCiphertext,
  SecretDecryptionError,
} from './index.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const A = { id: keyIdOf(keyA), key: keyA };
const B = { id: keyIdOf(keyB), key: keyB };

function decryptionError(run: () => unknown): SecretDecryptionError {
  try {
    run();
  } catch (error) {
    if (error instanceof SecretDecryptionError) return error;
    throw error;
  }
  throw new Error('expected decryption to fail');
}

/** Flips one bit in the decoded bytes of one dot-separated part. */
function flipBit(ciphertext: string, part: number): string {
  const parts = ciphertext.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[0] = bytes[0]! ^ 1;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('keyIdOf', () => {
  test('when given a key, it returns the first 8 hex characters of its SHA-256', () => {
    expect(keyIdOf(Buffer.alloc(32))).toBe('66687aad');
    expect(keyIdOf(keyA)).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('encryptSecret / decryptSecret', () => {
  test('when a secret is encrypted, it decrypts back to the same text', () => {
    const secret = generateSecret();
    const ciphertext = encryptSecret(secret, A);
    expect(ciphertext).not.toContain(secret.slice(6));
    expect(decryptSecret(ciphertext, [A])).toBe(secret);
    expect(decryptSecret(encryptSecret('', A), [A])).toBe('');
    expect(decryptSecret(encryptSecret('zoë ✓', A), [A])).toBe('zoë ✓');
  });

  test('when encrypted, the value is v1.<keyId>.<iv>.<ciphertext>.<tag> in base64url', () => {
    const ciphertext = encryptSecret(generateSecret(), A);
    const [version, keyId, iv, body, tag, ...rest] = ciphertext.split('.');
    expect(version).toBe('v1');
    expect(keyId).toBe(A.id);
    expect(Buffer.from(iv!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(body!, 'base64url')).toHaveLength(generateSecret().length);
    expect(Buffer.from(tag!, 'base64url')).toHaveLength(16);
    expect(rest).toEqual([]);
    expect(keyIdOfCiphertext(ciphertext)).toBe(A.id);
  });

  test('when the same plaintext is encrypted twice, the ciphertexts differ (random IV)', () => {
    const secret = generateSecret();
    const first = encryptSecret(secret, A);
    const second = encryptSecret(secret, A);
    expect(first).not.toBe(second);
    expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
  });

  test('when the ciphertext, IV or tag is altered, decryption fails naming the key id only', () => {
    const secret = generateSecret();
    const ciphertext = encryptSecret(secret, A);
    for (const part of [2, 3, 4]) {
      const error = decryptionError(() => decryptSecret(flipBit(ciphertext, part), [A]));
      expect(error.keyId).toBe(A.id);
      expect(error.message).toContain(A.id);
      expect(error.message).toMatch(/altered or made with another key/);
      expect(error.message).not.toContain(secret);
    }
  });

  test('when the key id in the ciphertext is swapped for another known key, decryption fails', () => {
    const ciphertext = encryptSecret(generateSecret(), A).replace(`.${A.id}.`, `.${B.id}.`);
    expect(decryptionError(() => decryptSecret(ciphertext, [A, B])).keyId).toBe(B.id);
  });

  test('when the ciphertext names a key that is not configured, decryption fails naming that id', () => {
    const ciphertext = encryptSecret(generateSecret(), A);
    const error = decryptionError(() => decryptSecret(ciphertext, [B]));
    expect(error.keyId).toBe(A.id);
    expect(error.message).toMatch(new RegExp(`no decryption key with id ${A.id}`));
  });

  test('when the value is not an envelope, decryption fails as malformed', () => {
    const good = encryptSecret('x', A);
    const [, id, iv, body, tag] = good.split('.');
    for (const bad of [
      '',
      'whsec_abc',
      `v2.${id}.${iv}.${body}.${tag}`,
      `v1.${id}.${iv}.${body}`,
      `v1.${id}.${iv}.${body}.${tag}.x`,
      `v1.${id}.${iv}.${body}.${tag!.slice(0, 8)}`,
      `v1.${id}.${iv}AAAA.${body}.${tag}`,
      `v1.${id}.${iv}.${body}+/.${tag}`,
    ]) {
      expect(decryptionError(() => decryptSecret(bad, [A])).message).toMatch(/malformed/);
    }
  });

  test('when the key is not 32 bytes, encryption refuses it', () => {
    expect(() => encryptSecret('x', { id: 'short', key: Buffer.alloc(16) })).toThrow(/32 bytes, not 16/);
    expect(() => encryptSecret('x', { id: 'a.b', key: keyA })).toThrow(/key id/);
  });
});

describe('createKeyring', () => {
  test('when the key is rotated, secrets encrypted under the old key still decrypt', () => {
    const secret = generateSecret();
    const before = createKeyring(keyA);
    const stored = before.encrypt(secret);

    const after = createKeyring(keyB, [keyA]);
    expect(after.currentKeyId).toBe(B.id);
    expect(after.decrypt(stored)).toBe(secret);

    const reEncrypted = after.encrypt(secret);
    expect(keyIdOfCiphertext(reEncrypted)).toBe(B.id);
    expect(after.decrypt(reEncrypted)).toBe(secret);
  });

  test('when the old key is dropped too early, decryption fails naming the missing key', () => {
    const stored = createKeyring(keyA).encrypt(generateSecret());
    const error = decryptionError(() => createKeyring(keyB).decrypt(stored));
    expect(error.keyId).toBe(A.id);
  });

  test('when the current key is also listed as old, the keyring still works', () => {
    const keyring = createKeyring(keyA, [keyA, keyB]);
    expect(keyring.decrypt(keyring.encrypt('hello'))).toBe('hello');
  });

  test('when a key is not 32 bytes, the keyring refuses it', () => {
    expect(() => createKeyring(Buffer.alloc(31))).toThrow(/32 bytes, not 31/);
    expect(() => createKeyring(keyA, [Buffer.alloc(8)])).toThrow(/32 bytes, not 8/);
  });
});
