import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface SecretKeys {
  /** Encrypts new secrets. */
  current: Buffer;
  /** Decrypt only. */
  old: Buffer[];
}

export interface ResolveSecretKeysOptions {
  secretKey: string | undefined;
  oldSecretKeys: readonly string[];
  /** Development fallback file, e.g. `<repo>/.herald/secret.key`. */
  fallbackFile: string;
  onGenerated?: (file: string) => void;
}

/**
 * The configured key, or (outside production, where the schema already
 * demands one) a key generated once into `fallbackFile` and reused after. Several
 * processes starting together agree on one key: the file is created
 * exclusively and a loser reads the winner's.
 */
export function resolveSecretKeys(options: ResolveSecretKeysOptions): SecretKeys {
  const old = options.oldSecretKeys.map((k) => Buffer.from(k, 'base64'));
  if (options.secretKey !== undefined) {
    return { current: Buffer.from(options.secretKey, 'base64'), old };
  }
  mkdirSync(dirname(options.fallbackFile), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(options.fallbackFile, `${randomBytes(32).toString('base64')}\n`, {
      flag: 'wx',
      mode: 0o600,
    });
    options.onGenerated?.(options.fallbackFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const text = readFileSync(options.fallbackFile, 'utf8').trim();
  const current = Buffer.from(text, 'base64');
  if (current.length !== 32) {
    throw new Error(
      `${options.fallbackFile} does not hold a 32-byte base64 key; delete it or set HERALD_SECRET_KEY`,
    );
  }
  return { current, old };
}
