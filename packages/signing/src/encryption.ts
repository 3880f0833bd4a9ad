import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** An AES-256 key and the id written into every ciphertext it makes. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface SecretKeyring {
  /** Id of the key new ciphertexts are made with. */
  readonly currentKeyId: string;
  encrypt(plaintext: string): string;
  /** Decrypts with whichever key (current or old) the ciphertext names. */
  decrypt(ciphertext: string): string;
}

/**
 * An encrypted secret could not be read back. `keyId` names the key the
 * ciphertext asked for, when it could be read; neither the plaintext nor the
 * ciphertext is ever part of the message.
 */
export class SecretDecryptionError extends Error {
  override readonly name = 'SecretDecryptionError';
  constructor(
    message: string,
    readonly keyId: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Binds each ciphertext to this purpose and format version: a blob made by
// some other AES-GCM use of the same key does not decrypt as a secret.
const AAD = Buffer.from('herald-secret-v1');
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

function assertKey(key: EncryptionKey): void {
  if (!KEY_ID.test(key.id)) {
    throw new RangeError('an encryption key id must be 1–64 letters, digits, "_" or "-"');
  }
  if (key.key.length !== KEY_BYTES) {
    throw new RangeError(`an encryption key must be ${KEY_BYTES} bytes, not ${key.key.length}`);
  }
}

/**
 * The first 8 hex characters of the key's SHA-256: stable, short, and safe to
 * store (it says which key, not what key). DESIGN §7 defines it for
 * HERALD_SECRET_KEY; this is the one implementation.
 */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * AES-256-GCM with a random 96-bit IV:
 * `v1.<keyId>.<base64url iv>.<base64url ciphertext>.<base64url tag>`.
 */
export function encryptSecret(plaintext: string, key: EncryptionKey): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(AAD);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    VERSION,
    key.id,
    iv.toString('base64url'),
    body.toString('base64url'),
    tag.toString('base64url'),
  ].join('.');
}

interface Envelope {
  keyId: string;
  iv: Buffer;
  body: Buffer;
  tag: Buffer;
}

function parseEnvelope(ciphertext: string): Envelope {
  const malformed = (keyId?: string): SecretDecryptionError =>
    new SecretDecryptionError(
      'encrypted secret is malformed (expected v1.<keyId>.<iv>.<ciphertext>.<tag>)',
      keyId,
    );
  if (typeof ciphertext !== 'string') throw malformed();
  const parts = ciphertext.split('.');
  if (parts.length !== 5) throw malformed();
  const [version, keyId, iv, body, tag] = parts as [string, string, string, string, string];
  if (version !== VERSION || !KEY_ID.test(keyId)) throw malformed();
  if (!BASE64URL.test(iv) || !BASE64URL.test(body) || !BASE64URL.test(tag)) {
    throw malformed(keyId);
  }
  const envelope = {
    keyId,
    iv: Buffer.from(iv, 'base64url'),
    body: Buffer.from(body, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
  // GCM would accept a shorter tag, which weakens authentication; only the
  // full-length tag this module writes is accepted back.
  if (envelope.iv.length !== IV_BYTES || envelope.tag.length !== TAG_BYTES) {
    throw malformed(keyId);
  }
  return envelope;
}

/**
 * The key id a ciphertext was made with, e.g. to find the secrets still
 * encrypted under an old key after a rotation. Throws on a malformed value.
 */
export function keyIdOfCiphertext(ciphertext: string): string {
  return parseEnvelope(ciphertext).keyId;
}

/**
 * Decrypts a value from `encryptSecret` with the key whose id it names.
 * Throws `SecretDecryptionError` for an unknown key id, a malformed value, or
 * one that was altered (or made with a different key under the same id).
 */
export function decryptSecret(ciphertext: string, keys: readonly EncryptionKey[]): string {
  const { keyId, iv, body, tag } = parseEnvelope(ciphertext);
  const key = keys.find((k) => k.id === keyId);
  if (key === undefined) {
    throw new SecretDecryptionError(
      `no decryption key with id ${keyId}; keep old keys configured until every secret is re-encrypted`,
      keyId,
    );
  }
  assertKey(key);
  try {
    const decipher = createDecipheriv(ALGORITHM, key.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(AAD);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new SecretDecryptionError(
      `encrypted secret failed authentication with key ${keyId}: it was altered or made with another key`,
      keyId,
      { cause: error },
    );
  }
}

/**
 * Encrypts with `current`, decrypts with `current` or any of `old`, so
 * secrets stored before a key rotation stay readable. Key ids come from
 * `keyIdOf`.
 */
export function createKeyring(current: Buffer, old: readonly Buffer[] = []): SecretKeyring {
  const currentKey: EncryptionKey = { id: keyIdOf(current), key: current };
  assertKey(currentKey);
  const keys: EncryptionKey[] = [currentKey];
  for (const key of old) {
    const entry: EncryptionKey = { id: keyIdOf(key), key };
    assertKey(entry);
    const clash = keys.find((k) => k.id === entry.id);
    if (clash === undefined) keys.push(entry);
    else if (!clash.key.equals(key)) {
      // 1 in 2^32 per pair: vanishingly rare, but decrypting would then pick
      // one of the two keys arbitrarily, so refuse up front.
      throw new RangeError(`two different keys share the key id ${entry.id}; replace one`);
    }
  }
  return Object.freeze({
    currentKeyId: currentKey.id,
    encrypt: (plaintext: string) => encryptSecret(plaintext, currentKey),
    decrypt: (ciphertext: string) => decryptSecret(ciphertext, keys),
  });
}
