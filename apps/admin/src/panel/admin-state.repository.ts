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

export async function recordLogin(db: Db, adminId: string): Promise<void> {
  await db.updateTable('admin_users').set({ last_login_at: new Date() }).where('id', '=', adminId).execute();
}
