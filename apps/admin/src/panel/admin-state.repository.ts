import { sql } from 'kysely';
import type { Db } from '@herald/db';

export interface CurrentAdmin {
  id: string;
  email: string;
  lastAppId: string | null;
}

export async function findAdminById(db: Db, id: string): Promise<CurrentAdmin | undefined> {
  const row = await db
    .selectFrom('admin_users')
    .select(['id', 'email', 'last_app_id'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? { id: row.id, email: row.email, lastAppId: row.last_app_id } : undefined;
}

/** Remembers the app an admin works in, so the next login opens it. */
export async function setLastApp(db: Db, adminId: string, appId: string): Promise<void> {
  await db
    .updateTable('admin_users')
    .set({ last_app_id: appId, updated_at: new Date() })
    .where('id', '=', adminId)
    .execute();
}

/**
 * setLastApp for an app id taken from a page's path: a no-op when the app does
 * not exist (its page answers 404) or is already the admin's last one.
 */
export async function rememberApp(db: Db, adminId: string, appId: string): Promise<void> {
  await db
    .updateTable('admin_users')
    .set({ last_app_id: appId, updated_at: new Date() })
    .where('id', '=', adminId)
    .where(sql<boolean>`last_app_id is distinct from ${appId}`)
    .where((eb) => eb.exists(eb.selectFrom('apps').select('apps.id').where('apps.id', '=', appId)))
    .execute();
}

export async function recordLogin(db: Db, adminId: string): Promise<void> {
  await db.updateTable('admin_users').set({ last_login_at: new Date() }).where('id', '=', adminId).execute();
}
