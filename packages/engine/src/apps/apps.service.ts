import { NotFoundError, ValidationError, hasControlCharacters, newId } from '@herald/core';
import type { Db } from '@herald/db';
import { recordAudit, type Actor } from '../audit/audit.js';

export interface App {
  id: string;
  name: string;
  createdAt: Date;
}

export function parseAppName(name: unknown): string {
  if (
    typeof name !== 'string' ||
    name.trim().length === 0 ||
    name.trim().length > 200 ||
    hasControlCharacters(name)
  ) {
    throw new ValidationError('invalid app name', [
      { field: 'name', message: 'must be 1–200 characters without control characters' },
    ]);
  }
  return name.trim();
}

export async function createApp(db: Db, actor: Actor, input: { name: unknown }): Promise<App> {
  const name = parseAppName(input.name);
  const id = newId('app');
  const row = await db
    .insertInto('apps')
    .values({ id, name })
    .returning(['id', 'name', 'created_at'])
    .executeTakeFirstOrThrow();
  await recordAudit(db, actor, {
    action: 'app.create',
    appId: id,
    targetType: 'app',
    targetId: id,
    details: { name },
  });
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

export async function getApp(db: Db, id: string): Promise<App> {
  const row = await db
    .selectFrom('apps')
    .select(['id', 'name', 'created_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('app', id);
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

export async function listApps(db: Db): Promise<App[]> {
  const rows = await db
    .selectFrom('apps')
    .select(['id', 'name', 'created_at'])
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
}
