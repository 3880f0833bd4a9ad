import type { Db } from '@herald/db';

/**
 * The app a live (not deleted) webhook belongs to, or undefined. For callers
 * that know only the webhook id (the CLI); the API always has the app.
 */
export async function findWebhookAppId(db: Db, webhookId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('webhooks')
    .select('app_id')
    .where('id', '=', webhookId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row?.app_id;
}
