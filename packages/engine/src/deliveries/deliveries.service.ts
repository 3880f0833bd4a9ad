import { sql } from 'kysely';
import { ConflictError, NotFoundError, ValidationError, newId } from '@herald/core';
import { DELIVERY_STATUSES, type DeliveryStatus } from '@herald/db';
import { recordAudit, type Actor } from '../audit/audit.js';
import type { Engine } from '../engine.js';
import { buildEventBody, enqueueDeliveries, type DeliveryToEnqueue } from './enqueue.js';

const PAGE = 1000;

interface RequeueRow {
  id: string;
  event_id: string;
  webhook_id: string;
  app_id: string;
  attempts: number;
}

/** What a delivery whose event payload retention dropped records as its last error. */
export const PAYLOAD_PRUNED_ERROR =
  "its event's payload was dropped by retention (HERALD_PAYLOAD_RETENTION): nothing left to send";

/**
 * Builds jobs for deliveries from their rows (the event body comes from
 * Postgres) and queues them. A job that still exists under the delivery's id
 * is removed first unless a worker holds it right now. A delivery whose event
 * payload retention dropped cannot be sent any more: it becomes dead, with
 * PAYLOAD_PRUNED_ERROR, instead of staying pending with no job (where the
 * reconciler would find it again on every run).
 */
async function requeue(
  engine: Engine,
  rows: readonly RequeueRow[],
  mode: 'fresh-schedule' | 'continue-schedule',
): Promise<number> {
  if (rows.length === 0) return 0;
  const events = await engine.db
    .selectFrom('events')
    .select(['id', 'type', 'created_at', 'payload'])
    .where('id', 'in', [...new Set(rows.map((r) => r.event_id))])
    .execute();
  const byId = new Map(events.map((e) => [e.id, e]));
  // Where a continued schedule stands: the attempts since it began (schedule_base:
  // a retry or replay starts a fresh one) that advanced it. 429s do not (the
  // endpoint asked us to slow down), though they count in herald-attempt.
  const advanced = new Map<string, number>();
  if (mode === 'continue-schedule') {
    const counted = await engine.db
      .selectFrom('delivery_attempts as a')
      .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
      .select('a.delivery_id')
      .select(
        sql<string>`count(*) filter (where a.status_code is distinct from 429 and a.attempt > d.schedule_base)`.as(
          'n',
        ),
      )
      .where(
        'a.delivery_id',
        'in',
        rows.map((r) => r.id),
      )
      .groupBy('a.delivery_id')
      .execute();
    for (const c of counted) advanced.set(c.delivery_id, Number(c.n));
  }
  const jobs: DeliveryToEnqueue[] = [];
  const unsendable: string[] = [];
  for (const r of rows) {
    const event = byId.get(r.event_id);
    if (!event || event.payload === null) {
      unsendable.push(r.id);
      continue;
    }
    await engine.queues.deliveries.remove(r.id).catch(() => 0);
    jobs.push({
      deliveryId: r.id,
      eventId: r.event_id,
      webhookId: r.webhook_id,
      appId: r.app_id,
      body: buildEventBody({
        type: event.type,
        timestamp: event.created_at.toISOString(),
        data: event.payload,
      }),
      attemptOffset: r.attempts,
      scheduleOffset: mode === 'fresh-schedule' ? 0 : (advanced.get(r.id) ?? 0),
    });
  }
  if (unsendable.length > 0) {
    await engine.db
      .updateTable('deliveries')
      .set({
        status: 'dead',
        next_attempt_at: null,
        last_error: PAYLOAD_PRUNED_ERROR,
        updated_at: sql`now()`,
      })
      .where('id', 'in', unsendable)
      .where('status', 'in', ['pending', 'failed'])
      .execute();
  }
  await enqueueDeliveries(engine.queues.deliveries, jobs);
  return jobs.length;
}

/**
 * Sets deliveries still in one of `from` back to pending; returns what
 * `requeue` needs. `fresh`: a retry or replay — a new schedule begins at the
 * attempts made so far (schedule_base).
 */
async function markPending(
  engine: Engine,
  ids: readonly string[],
  from: readonly DeliveryStatus[],
  options: { fresh?: boolean; replayId?: string } = {},
): Promise<RequeueRow[]> {
  if (ids.length === 0) return [];
  return engine.db
    .updateTable('deliveries')
    .set({
      status: 'pending',
      next_attempt_at: sql`now()`,
      updated_at: sql`now()`,
      ...(options.fresh ? { schedule_base: sql<number>`attempts` } : {}),
      ...(options.replayId ? { replay_id: options.replayId } : {}),
    })
    .where('id', 'in', ids)
    .where('status', 'in', from)
    .returning(['id', 'event_id', 'webhook_id', 'app_id', 'attempts'])
    .execute();
}

/** Held deliveries (their webhook was paused or disabled) become pending and are queued. */
export async function releaseHeldDeliveries(engine: Engine, webhookId: string): Promise<number> {
  let released = 0;
  for (;;) {
    const held = await engine.db
      .selectFrom('deliveries')
      .select('id')
      .where('webhook_id', '=', webhookId)
      .where('status', '=', 'held')
      .orderBy('created_at')
      .limit(PAGE)
      .execute();
    const rows = await markPending(
      engine,
      held.map((r) => r.id),
      ['held'],
    );
    released += await requeue(engine, rows, 'continue-schedule');
    if (held.length < PAGE) return released;
  }
}

/** Sends one delivery again now, with a fresh retry schedule. */
export async function retryDelivery(
  engine: Engine,
  actor: Actor,
  appId: string,
  deliveryId: string,
): Promise<void> {
  const row = await engine.db
    .selectFrom('deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'w.deleted_at'])
    .select(sql<boolean>`e.payload is null`.as('pruned'))
    .where('d.id', '=', deliveryId)
    .where('d.app_id', '=', appId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('delivery', deliveryId);
  if (row.deleted_at !== null) {
    throw new ValidationError('the webhook of this delivery was deleted', [
      { field: 'deliveryId', message: 'its webhook was deleted' },
    ]);
  }
  // Refused before anything changes: the delivery keeps its status.
  if (row.pruned) {
    throw new ValidationError('the event payload is no longer kept', [
      { field: 'deliveryId', message: 'its event payload was pruned' },
    ]);
  }
  // A job in flight cannot be replaced (BullMQ keeps a locked job), and its
  // outcome would overwrite the retry's status: the retry would silently do
  // nothing. Refused instead; the attempt ends within the delivery timeout.
  if ((await engine.queues.deliveries.getJobState(deliveryId)) === 'active') {
    throw new ConflictError('an attempt of this delivery is in flight; retry it once that attempt has ended');
  }
  const rows = await markPending(engine, [deliveryId], DELIVERY_STATUSES, { fresh: true });
  await requeue(engine, rows, 'fresh-schedule');
  await recordAudit(engine.db, actor, {
    action: 'delivery.retry',
    appId,
    targetType: 'delivery',
    targetId: deliveryId,
  });
}

export type ReplayStatus = 'dead' | 'failed';

export interface ReplayOptions {
  since: Date;
  until?: Date | undefined;
  status?: ReplayStatus | undefined;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Queues again every delivery of the webhook created in [since, until) —
 * only dead or only failed ones if asked; otherwise everything that has
 * finished or is waiting to retry — each with a fresh schedule.
 */
export async function replayWebhook(
  engine: Engine,
  actor: Actor,
  appId: string,
  webhookId: string,
  options: ReplayOptions,
): Promise<{ replayId: string; count: number }> {
  if (!(options.since instanceof Date) || Number.isNaN(options.since.getTime())) {
    throw new ValidationError('invalid since', [{ field: 'since', message: 'must be an ISO-8601 time' }]);
  }
  if (options.until && (Number.isNaN(options.until.getTime()) || options.until <= options.since)) {
    throw new ValidationError('invalid until', [
      { field: 'until', message: 'must be an ISO-8601 time after since' },
    ]);
  }
  if (options.status !== undefined && options.status !== 'dead' && options.status !== 'failed') {
    throw new ValidationError('invalid status', [{ field: 'status', message: 'must be dead or failed' }]);
  }
  const webhook = await engine.db
    .selectFrom('webhooks')
    .select('id')
    .where('id', '=', webhookId)
    .where('app_id', '=', appId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!webhook) throw new NotFoundError('webhook', webhookId);
  const statuses: DeliveryStatus[] = options.status ? [options.status] : ['succeeded', 'failed', 'dead'];
  const base = engine.db
    .selectFrom('deliveries')
    .where('webhook_id', '=', webhookId)
    .where('status', 'in', statuses)
    .where('created_at', '>=', options.since)
    .$if(options.until !== undefined, (q) => q.where('created_at', '<', options.until!))
    // Nothing to send where retention dropped the payload: left as they are.
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('events')
          .select(sql`1`.as('one'))
          .whereRef('events.id', '=', 'deliveries.event_id')
          .where('events.payload', 'is not', null),
      ),
    );
  const { total } = await base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
  const replayId = newId('replay');
  let count = 0;
  let cursor = '';
  options.onProgress?.(0, Number(total));
  for (;;) {
    const ids = await base.select('id').where('id', '>', cursor).orderBy('id').limit(PAGE).execute();
    if (ids.length === 0) break;
    cursor = ids[ids.length - 1]!.id;
    const rows = await markPending(
      engine,
      ids.map((r) => r.id),
      statuses,
      { fresh: true, replayId },
    );
    count += await requeue(engine, rows, 'fresh-schedule');
    options.onProgress?.(count, Number(total));
  }
  await recordAudit(engine.db, actor, {
    action: 'webhook.replay',
    appId,
    targetType: 'webhook',
    targetId: webhookId,
    details: {
      replayId,
      count,
      since: options.since.toISOString(),
      until: options.until?.toISOString() ?? null,
      status: options.status ?? null,
    },
  });
  return { replayId, count };
}

export interface DeliverySummary {
  id: string;
  eventId: string;
  webhookId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
}

/** Newest first; cursor = the last id of the previous page. */
export async function listDeliveries(
  engine: Engine,
  filter: { appId: string; webhookId?: string; status?: string },
  options: { limit?: number; cursor?: string } = {},
): Promise<{ data: DeliverySummary[]; nextCursor: string | null; total: number }> {
  if (filter.status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(filter.status)) {
    throw new ValidationError('invalid status', [
      { field: 'status', message: `must be one of ${DELIVERY_STATUSES.join(', ')}` },
    ]);
  }
  const base = engine.db
    .selectFrom('deliveries')
    .where('app_id', '=', filter.appId)
    .$if(filter.webhookId !== undefined, (q) => q.where('webhook_id', '=', filter.webhookId!))
    .$if(filter.status !== undefined, (q) => q.where('status', '=', filter.status as DeliveryStatus));
  const limit = options.limit;
  let query = base.selectAll().orderBy('id', 'desc');
  if (options.cursor) query = query.where('id', '<', options.cursor);
  if (limit !== undefined) query = query.limit(limit + 1);
  const [rows, count] = await Promise.all([
    query.execute(),
    base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
  ]);
  const page = limit === undefined ? rows : rows.slice(0, limit);
  return {
    data: page.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      webhookId: r.webhook_id,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      lastStatusCode: r.last_status_code,
      lastError: r.last_error,
      createdAt: r.created_at,
    })),
    nextCursor: limit !== undefined && rows.length > limit ? page[page.length - 1]!.id : null,
    total: Number(count.total),
  };
}

/**
 * Re-queues overdue pending/failed deliveries whose job is gone (lost
 * between commit and enqueue, or failed by BullMQ as stalled). A job that is
 * waiting, delayed or active is left alone, and so is a row that changed
 * while its job was looked up (the job finished meanwhile: BullMQ removes
 * finished jobs, so it looked gone, but its outcome was committed before it
 * was acknowledged). The periodic run (no `deliveryIds`) also releases held
 * deliveries of enabled webhooks: a worker whose cache had not yet seen a
 * resume may hold a delivery just after the resume released the others.
 */
export async function reconcileDeliveries(
  engine: Engine,
  options: { overdueMs?: number; limit?: number; deliveryIds?: string[] } = {},
): Promise<{ checked: number; requeued: number; released: number }> {
  const overdueMs = options.overdueMs ?? 120_000;
  let query = engine.db
    .selectFrom('deliveries')
    .select(['id', 'event_id', 'webhook_id', 'app_id', 'attempts', 'updated_at'])
    .where('status', 'in', ['pending', 'failed']);
  query = options.deliveryIds
    ? query.where('id', 'in', options.deliveryIds.length > 0 ? options.deliveryIds : [''])
    : query
        .where('next_attempt_at', '<', sql<Date>`now() - make_interval(secs => ${overdueMs / 1000})`)
        .orderBy('next_attempt_at')
        .limit(options.limit ?? 1000);
  const rows = await query.execute();
  const gone: typeof rows = [];
  for (const row of rows) {
    const state = await engine.queues.deliveries.getJobState(row.id);
    if (state === 'unknown' || state === 'failed' || state === 'completed') gone.push(row);
  }
  const lost = await unchangedSince(engine, gone);
  const requeued = await requeue(engine, lost, 'continue-schedule');
  const released = options.deliveryIds ? 0 : await releaseStrandedHeld(engine, overdueMs, options.limit);
  return { checked: rows.length, requeued, released };
}

/** The rows still pending or failed and untouched since they were read. */
async function unchangedSince(
  engine: Engine,
  rows: readonly (RequeueRow & { updated_at: Date })[],
): Promise<RequeueRow[]> {
  if (rows.length === 0) return [];
  const now = await engine.db
    .selectFrom('deliveries')
    .select(['id', 'updated_at'])
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .where('status', 'in', ['pending', 'failed'])
    .execute();
  const current = new Map(now.map((r) => [r.id, r.updated_at.getTime()]));
  return rows.filter((r) => current.get(r.id) === r.updated_at.getTime());
}

/** Held deliveries of enabled webhooks, held for longer than `overdueMs`: released as a resume would. */
async function releaseStrandedHeld(engine: Engine, overdueMs: number, limit = 1000): Promise<number> {
  // Per enabled webhook, through its (webhook_id, status, created_at) index: a
  // paused webhook's held rows, however many, are never read here.
  const { rows: stranded } = await sql<{ id: string }>`
    select d.id
    from webhooks w
    cross join lateral (
      select id from deliveries
      where webhook_id = w.id and status = 'held'
        and updated_at < now() - make_interval(secs => ${overdueMs / 1000})
      order by created_at
      limit ${limit}
    ) d
    where w.state = 'enabled' and w.deleted_at is null
    limit ${limit}`.execute(engine.db);
  const rows = await markPending(
    engine,
    stranded.map((r) => r.id),
    ['held'],
  );
  return requeue(engine, rows, 'continue-schedule');
}
