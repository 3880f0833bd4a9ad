import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFoundError, ValidationError, hasControlCharacters, newId } from '@herald/core';
import type { ApiKeyScope, Db } from '@herald/db';
import { recordAudit, type Actor } from '../audit/audit.js';
import { getApp } from '../apps/apps.service.js';

export interface ApiKey {
  id: string;
  appId: string;
  name: string;
  prefix: string;
  scope: ApiKeyScope;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const KEY_PREFIX = 'hk_';
// hk_ + 12 characters identify a key in lists and logs; the rest is secret.
const PREFIX_LENGTH = KEY_PREFIX.length + 12;

function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Creates a key; the plaintext is returned here only and stored nowhere. */
export async function createApiKey(
  db: Db,
  actor: Actor,
  input: { appId: string; name?: unknown; scope?: unknown },
): Promise<ApiKey & { key: string }> {
  await getApp(db, input.appId);
  const name = input.name === undefined ? '' : input.name;
  if (typeof name !== 'string' || name.length > 200 || hasControlCharacters(name)) {
    throw new ValidationError('invalid key name', [
      { field: 'name', message: 'must be at most 200 characters without control characters' },
    ]);
  }
  const scope = input.scope ?? 'full';
  if (scope !== 'full' && scope !== 'ingest') {
    throw new ValidationError('invalid scope', [{ field: 'scope', message: 'must be full or ingest' }]);
  }
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const id = newId('apiKey');
  const row = await db
    .insertInto('api_keys')
    .values({
      id,
      app_id: input.appId,
      name,
      prefix: key.slice(0, PREFIX_LENGTH),
      key_hash: hashKey(key),
      scope,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(db, actor, {
    action: 'api_key.create',
    appId: input.appId,
    targetType: 'api_key',
    targetId: id,
    details: { prefix: row.prefix, scope },
  });
  return { ...toApiKey(row), key };
}

export async function listApiKeys(db: Db, appId: string): Promise<ApiKey[]> {
  const rows = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('app_id', '=', appId)
    .orderBy('created_at')
    .execute();
  return rows.map(toApiKey);
}

export async function revokeApiKey(db: Db, actor: Actor, appId: string, id: string): Promise<void> {
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('app_id', '=', appId)
    .where('revoked_at', 'is', null)
    .returning(['prefix'])
    .executeTakeFirst();
  if (!row) throw new NotFoundError('api key', id);
  await recordAudit(db, actor, {
    action: 'api_key.revoke',
    appId,
    targetType: 'api_key',
    targetId: id,
    details: { prefix: row.prefix },
  });
}

/** The live key matching `token`, or undefined (unknown, revoked, malformed). */
export async function findApiKeyByToken(db: Db, token: string): Promise<ApiKey | undefined> {
  if (!token.startsWith(KEY_PREFIX) || token.length < PREFIX_LENGTH || token.length > 100) return undefined;
  const row = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('prefix', '=', token.slice(0, PREFIX_LENGTH))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row || !timingSafeEqual(row.key_hash, hashKey(token))) return undefined;
  return toApiKey(row);
}

function toApiKey(row: {
  id: string;
  app_id: string;
  name: string;
  prefix: string;
  scope: ApiKeyScope;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}): ApiKey {
  return {
    id: row.id,
    appId: row.app_id,
    name: row.name,
    prefix: row.prefix,
    scope: row.scope,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
