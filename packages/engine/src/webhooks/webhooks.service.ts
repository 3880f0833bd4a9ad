import { sql } from 'kysely';
import { NotFoundError, ValidationError, newId } from '@herald/core';
import type { WebhookRow, WebhookState } from '@herald/db';
import { validateWebhookUrl } from '@herald/net';
import { generateSecret } from '@herald/signing';
import { recordAudit, type Actor } from '../audit/audit.js';
import { getApp } from '../apps/apps.service.js';
import { releaseHeldDeliveries } from '../deliveries/deliveries.service.js';
import { retryOnConflict } from '../recording/group-commit.js';
import type { Engine } from '../engine.js';
import { checkWebhookFields, type WebhookInput } from './webhook-input.js';
import { toWebhook, type Webhook } from './webhook.js';

export const DEFAULT_ROTATION_GRACE_SECONDS = 24 * 3600;
const MAX_ROTATION_GRACE_SECONDS = 30 * 24 * 3600;

async function checkUrl(engine: Engine, url: unknown): Promise<{ url: string; warnings: string[] }> {
  if (typeof url !== 'string') {
    throw new ValidationError('invalid webhook: url is required', [{ field: 'url', message: 'is required' }]);
  }
  const result = await validateWebhookUrl(url, {
    allowPrivateNetworks: engine.allowPrivateNetworks,
    ...(engine.resolveHost ? { resolve: engine.resolveHost } : {}),
  });
  if (!result.ok)
    throw new ValidationError(`invalid webhook: url ${result.error}`, [
      { field: 'url', message: result.error },
    ]);
  return { url: result.url, warnings: result.warnings };
}

async function findRow(engine: Engine, appId: string, webhookId: string): Promise<WebhookRow> {
  const row = await engine.db
    .selectFrom('webhooks')
    .selectAll()
    .where('id', '=', webhookId)
    .where('app_id', '=', appId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('webhook', webhookId);
  return row;
}

export interface CreatedWebhook {
  webhook: Webhook;
  /** The signing secret: shown once here, stored encrypted. */
  secret: string;
  warnings: string[];
}

export async function createWebhook(
  engine: Engine,
  actor: Actor,
  appId: string,
  input: WebhookInput,
  /** `paused`: created paused (its deliveries held from the first event), in the same write. */
  options: { paused?: boolean } = {},
): Promise<CreatedWebhook> {
  await getApp(engine.db, appId);
  let fieldsError: ValidationError | undefined;
  let fields: ReturnType<typeof checkWebhookFields> = {};
  try {
    fields = checkWebhookFields(input);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    fieldsError = error;
  }
  let checked: { url: string; warnings: string[] } | undefined;
  try {
    checked = await checkUrl(engine, input.url);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    // Report the URL together with every other bad field.
    const issues = [...error.issues, ...(fieldsError?.issues ?? [])];
    throw new ValidationError(
      `invalid webhook: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
      issues,
    );
  }
  if (fieldsError) throw fieldsError;
  const secret = generateSecret();
  const id = newId('webhook');
  const url = checked.url;
  // The row and its audit entry commit together, or neither does.
  const row = await engine.db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('webhooks')
      .values({
        id,
        app_id: appId,
        url,
        description: fields.description ?? '',
        user_agent: fields.userAgent ?? null,
        event_types: fields.events ?? [],
        format: fields.format ?? 'standard',
        headers: JSON.stringify(fields.headers ?? {}),
        rate_limit_per_second: fields.rateLimitPerSecond ?? null,
        secret_ciphertext: engine.keyring.encrypt(secret),
        ...(options.paused ? { state: 'paused' as const } : {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, {
      action: 'webhook.create',
      appId,
      targetType: 'webhook',
      targetId: id,
      ...(options.paused ? { details: { paused: true } } : {}),
    });
    return inserted;
  });
  await engine.shared.webhookChanges.notify(appId);
  return { webhook: toWebhook(row), secret, warnings: checked.warnings };
}

export async function getWebhook(engine: Engine, appId: string, webhookId: string): Promise<Webhook> {
  return toWebhook(await findRow(engine, appId, webhookId));
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Oldest first; the cursor is the last id of the page (ids sort by creation). */
export async function listWebhooks(
  engine: Engine,
  appId: string,
  options: { limit?: number; cursor?: string } = {},
): Promise<Page<Webhook>> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
  let query = engine.db
    .selectFrom('webhooks')
    .selectAll()
    .where('app_id', '=', appId)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .limit(limit + 1);
  if (options.cursor) query = query.where('id', '>', options.cursor);
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  return { data: page.map(toWebhook), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
}

export async function updateWebhook(
  engine: Engine,
  actor: Actor,
  appId: string,
  webhookId: string,
  input: WebhookInput,
): Promise<{ webhook: Webhook; warnings: string[] }> {
  await findRow(engine, appId, webhookId);
  const fields = checkWebhookFields(input);
  const checked = input.url === undefined ? undefined : await checkUrl(engine, input.url);
  const row = await engine.db
    .updateTable('webhooks')
    .set({
      ...(checked ? { url: checked.url } : {}),
      ...(fields.description !== undefined ? { description: fields.description } : {}),
      ...(fields.userAgent !== undefined ? { user_agent: fields.userAgent } : {}),
      ...(fields.events !== undefined ? { event_types: fields.events } : {}),
      ...(fields.format !== undefined ? { format: fields.format } : {}),
      ...(fields.headers !== undefined ? { headers: JSON.stringify(fields.headers) } : {}),
      ...(fields.rateLimitPerSecond !== undefined
        ? { rate_limit_per_second: fields.rateLimitPerSecond }
        : {}),
      updated_at: sql`now()`,
    })
    .where('id', '=', webhookId)
    .where('app_id', '=', appId)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('webhook', webhookId);
  const changed = Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined);
  await recordAudit(engine.db, actor, {
    action: 'webhook.update',
    appId,
    targetType: 'webhook',
    targetId: webhookId,
    details: { changed },
  });
  await engine.shared.webhookChanges.notify(appId);
  return { webhook: toWebhook(row), warnings: checked?.warnings ?? [] };
}

/**
 * Soft-deletes the webhook and cancels its waiting deliveries. Jobs already
 * queued see the deletion when they run and record `cancelled` themselves.
 */
export async function deleteWebhook(
  engine: Engine,
  actor: Actor,
  appId: string,
  webhookId: string,
): Promise<{ cancelled: number; alreadyDeleted: boolean }> {
  // Deleted already (a second click, another admin): nothing to do, nothing to audit.
  // Another app's webhook, or no webhook at all, is not found.
  const existing = await engine.db
    .selectFrom('webhooks')
    .select('deleted_at')
    .where('id', '=', webhookId)
    .where('app_id', '=', appId)
    .executeTakeFirst();
  if (!existing) throw new NotFoundError('webhook', webhookId);
  if (existing.deleted_at !== null) return { cancelled: 0, alreadyDeleted: true };
  // Lock order matches the delivery recorder's (deliveries, then webhooks),
  // so a deletion racing a batch of outcomes cannot deadlock with it.
  const cancelled = await retryOnConflict(() =>
    engine.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('deliveries')
        .set({ status: 'cancelled', next_attempt_at: null, updated_at: sql`now()` })
        .where('webhook_id', '=', webhookId)
        .where('status', 'in', ['pending', 'failed', 'held'])
        .executeTakeFirst();
      const row = await trx
        .updateTable('webhooks')
        .set({ deleted_at: sql`now()`, updated_at: sql`now()` })
        .where('id', '=', webhookId)
        .where('app_id', '=', appId)
        .where('deleted_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      // Deleted by someone else since the read above: roll back, report it as done.
      if (!row) throw new AlreadyDeleted();
      return Number(result.numUpdatedRows);
    }),
  ).catch((error: unknown) => {
    if (error instanceof AlreadyDeleted) return undefined;
    throw error;
  });
  if (cancelled === undefined) return { cancelled: 0, alreadyDeleted: true };
  await recordAudit(engine.db, actor, {
    action: 'webhook.delete',
    appId,
    targetType: 'webhook',
    targetId: webhookId,
    details: { cancelled },
  });
  await engine.shared.webhookChanges.notify(appId);
  return { cancelled, alreadyDeleted: false };
}

class AlreadyDeleted extends Error {}

/** Deletes every webhook of the app (the panel's "Delete All"). */
export async function deleteAllWebhooks(
  engine: Engine,
  actor: Actor,
  appId: string,
): Promise<{ deleted: number }> {
  const ids = await engine.db
    .selectFrom('webhooks')
    .select('id')
    .where('app_id', '=', appId)
    .where('deleted_at', 'is', null)
    .execute();
  let deleted = 0;
  for (const { id } of ids) {
    // One deleted by someone else meanwhile is gone either way: go on with the rest.
    if (!(await deleteWebhook(engine, actor, appId, id)).alreadyDeleted) deleted++;
  }
  // One row for the intent as well as one per webhook: "who pressed Delete All" is one question.
  await recordAudit(engine.db, actor, {
    action: 'webhook.delete_all',
    appId,
    targetType: 'app',
    targetId: appId,
    details: { deleted },
  });
  return { deleted };
}

/**
 * Pauses, resumes, enables or disables. Moving to `enabled` releases the
 * deliveries held meanwhile and clears the endpoint's failure history.
 */
export async function setWebhookState(
  engine: Engine,
  actor: Actor,
  appId: string,
  webhookId: string,
  state: WebhookState,
  reason?: string,
): Promise<{ webhook: Webhook; released: number }> {
  const before = await findRow(engine, appId, webhookId);
  const row = await engine.db
    .updateTable('webhooks')
    .set({
      state,
      disabled_reason: state === 'disabled' ? (reason ?? 'disabled by staff') : null,
      disabled_at: state === 'disabled' ? sql`now()` : null,
      ...(state === 'enabled' ? { failing_since: null } : {}),
      updated_at: sql`now()`,
    })
    .where('id', '=', webhookId)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirstOrThrow();
  const action = {
    enabled: before.state === 'paused' ? 'webhook.resume' : 'webhook.enable',
    paused: 'webhook.pause',
    disabled: 'webhook.disable',
  }[state];
  await recordAudit(engine.db, actor, { action, appId, targetType: 'webhook', targetId: webhookId });
  await engine.shared.webhookChanges.notify(appId);
  let released = 0;
  if (state === 'enabled') {
    await engine.shared.gate.clear(webhookId);
    released = await releaseHeldDeliveries(engine, webhookId);
  }
  return { webhook: toWebhook(row), released };
}

/**
 * New signing secret; the old one keeps signing (second signature) until the
 * grace period ends, so receivers can switch without dropping a delivery.
 */
export async function rotateWebhookSecret(
  engine: Engine,
  actor: Actor,
  appId: string,
  webhookId: string,
  options: { graceSeconds?: unknown } = {},
): Promise<{ webhook: Webhook; secret: string }> {
  const grace = options.graceSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS;
  if (
    typeof grace !== 'number' ||
    !Number.isInteger(grace) ||
    grace < 0 ||
    grace > MAX_ROTATION_GRACE_SECONDS
  ) {
    throw new ValidationError('invalid graceSeconds', [
      {
        field: 'graceSeconds',
        message: `must be a whole number of seconds from 0 to ${MAX_ROTATION_GRACE_SECONDS}`,
      },
    ]);
  }
  const current = await findRow(engine, appId, webhookId);
  const secret = generateSecret();
  const row = await engine.db
    .updateTable('webhooks')
    .set({
      secret_ciphertext: engine.keyring.encrypt(secret),
      previous_secret_ciphertext: grace > 0 ? current.secret_ciphertext : null,
      previous_secret_expires_at: grace > 0 ? sql`now() + make_interval(secs => ${grace})` : null,
      updated_at: sql`now()`,
    })
    .where('id', '=', webhookId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(engine.db, actor, {
    action: 'webhook.rotate_secret',
    appId,
    targetType: 'webhook',
    targetId: webhookId,
    details: { graceSeconds: grace },
  });
  await engine.shared.webhookChanges.notify(appId);
  return { webhook: toWebhook(row), secret };
}

/** The current signing secret in plain text (the panel asks for the password first). */
export async function revealWebhookSecret(
  engine: Engine,
  actor: Actor,
  appId: string,
  webhookId: string,
): Promise<string> {
  const row = await findRow(engine, appId, webhookId);
  await recordAudit(engine.db, actor, {
    action: 'webhook.reveal_secret',
    appId,
    targetType: 'webhook',
    targetId: webhookId,
  });
  return engine.keyring.decrypt(row.secret_ciphertext);
}
