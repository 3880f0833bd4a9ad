import { sql } from 'kysely';
import { newId } from '@herald/core';
import { preparedStatement, type Db, type DeliveryStatus } from '@herald/db';
import type { EventJobData } from '@herald/queue';

export interface FanoutItem {
  event: EventJobData;
  /** The webhooks whose filter matched, with whether they may be attempted now. */
  matches: readonly { webhookId: string; deliverable: boolean }[];
}

export interface RecordedDelivery {
  deliveryId: string;
  webhookId: string;
  status: DeliveryStatus;
  attempts: number;
  /** Inserted by this item's write, retries included (false: a row an earlier run of the same event left). */
  created: boolean;
}

export type FanoutResult = { unknownApp: true } | { unknownApp: false; deliveries: RecordedDelivery[] };

interface FanoutRows {
  events: {
    id: string;
    app_id: string;
    type: string;
    payload: Record<string, unknown>;
    idempotency_key: string | null;
    created_at: string;
  }[];
  deliveries: { id: string; event_id: string; webhook_id: string; app_id: string; status: string }[];
}

/**
 * The delivery ids an item proposes, one per match, made on its first write.
 * The committer retries a failed batch with the same item objects (a
 * statement may have committed before its connection broke): the retry then
 * proposes the same ids, so `created` still names the rows this item inserted.
 * A re-run of the event job builds new items, hence new ids.
 */
const proposedIds = new WeakMap<FanoutItem, string[]>();

/**
 * The delivery ids `item` proposes, one per match in order: the ids its rows
 * get unless an earlier run of the same event left rows (then `created` is
 * false). Known before the write, so a first attempt can go out while the
 * rows commit.
 */
export function proposedDeliveryIds(item: FanoutItem): readonly string[] {
  return deliveryIdsOf(item);
}

function deliveryIdsOf(item: FanoutItem): string[] {
  let ids = proposedIds.get(item);
  if (ids === undefined) {
    ids = item.matches.map(() => newId('delivery'));
    proposedIds.set(item, ids);
  }
  return ids;
}

function toRows(items: readonly FanoutItem[]): FanoutRows {
  return {
    events: items.map(({ event }) => ({
      id: event.id,
      app_id: event.appId,
      type: event.type,
      payload: event.data,
      idempotency_key: event.idempotencyKey ?? null,
      created_at: event.timestamp,
    })),
    deliveries: items.flatMap((item) => {
      const ids = deliveryIdsOf(item);
      return item.matches.map((m, i) => ({
        id: ids[i]!,
        event_id: item.event.id,
        webhook_id: m.webhookId,
        app_id: item.event.appId,
        status: m.deliverable ? 'pending' : 'held',
      }));
    }),
  };
}

interface DeliveryRow {
  id: string;
  event_id: string;
  webhook_id: string;
  status: DeliveryStatus;
  attempts: number;
}

function toResults(
  items: readonly FanoutItem[],
  known: ReadonlySet<string>,
  rows: readonly DeliveryRow[],
  generated: FanoutRows['deliveries'],
): FanoutResult[] {
  // A returned id this item proposed means a row its write inserted (deliveryIdsOf).
  const ours = new Set(generated.map((d) => d.id));
  const byEvent = new Map<string, RecordedDelivery[]>();
  for (const r of rows) {
    const list = byEvent.get(r.event_id) ?? [];
    list.push({
      deliveryId: r.id,
      webhookId: r.webhook_id,
      status: r.status,
      attempts: r.attempts,
      created: ours.has(r.id),
    });
    byEvent.set(r.event_id, list);
  }
  return items.map(({ event }) =>
    known.has(event.id)
      ? { unknownApp: false, deliveries: byEvent.get(event.id) ?? [] }
      : { unknownApp: true },
  );
}

/**
 * True when every event is known and has a row for each webhook it matched:
 * what a fan-out that saw everything it wrote (and everything before it) returns.
 */
function isComplete(items: readonly FanoutItem[], results: readonly FanoutResult[]): boolean {
  return items.every(({ matches }, i) => {
    const result = results[i]!;
    if (result.unknownApp) return false;
    if (matches.length === 0) return true;
    const webhooks = new Set(result.deliveries.map((d) => d.webhookId));
    return matches.every((m) => webhooks.has(m.webhookId));
  });
}

/**
 * Records a batch of events and one delivery per match, idempotently: the
 * event id and `unique (event_id, webhook_id)` make a re-run insert nothing
 * new, and the rows returned (not what this run inserted) decide which
 * deliveries still need a queue job.
 *
 * One statement (one round trip, no BEGIN/COMMIT, prepared once per
 * connection) on the common path. Its
 * sub-statements share one snapshot, so the rows it returns are those it
 * inserted plus those committed before it began. A row a concurrent fan-out
 * of the same event committed meanwhile (a stalled job run twice) is in
 * neither; so is the event of an unknown app. Either way the batch is read
 * again by writeFanoutStepwise, whose statements each see what committed
 * before them, and that answer is the one returned.
 */
const FANOUT_WRITE = preparedStatement('herald_fanout_write');

export async function writeFanout(db: Db, items: readonly FanoutItem[]): Promise<FanoutResult[]> {
  const { events, deliveries } = toRows(items);
  const eventIds = items.map((i) => i.event.id);
  const { rows } = await sql<DeliveryRow & { kind: 'e' | 'd' }>`${FANOUT_WRITE}
    with ins_e as (
      insert into events (id, app_id, type, payload, idempotency_key, created_at)
      select v.id, v.app_id, v.type, v.payload, v.idempotency_key, v.created_at
      from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as v(
        id text, app_id text, type text, payload jsonb, idempotency_key text, created_at timestamptz)
      join apps a on a.id = v.app_id
      on conflict (id) do nothing
      returning id
    ), known as (
      select id from ins_e
      union all
      select id from events where id = any(${eventIds}::text[])
    ), ins_d as (
      insert into deliveries (id, event_id, webhook_id, app_id, status, next_attempt_at)
      select v.id, v.event_id, v.webhook_id, v.app_id, v.status,
             case when v.status = 'pending' then now() end
      from jsonb_to_recordset(${JSON.stringify(deliveries)}::jsonb) as v(
        id text, event_id text, webhook_id text, app_id text, status text)
      join known k on k.id = v.event_id
      on conflict (event_id, webhook_id) do nothing
      returning id, event_id, webhook_id, status, attempts
    )
    select 'e' as kind, id, null as event_id, null as webhook_id, null as status, null as attempts from known
    union all
    select 'd', id, event_id, webhook_id, status, attempts from ins_d
    union all
    select 'd', id, event_id, webhook_id, status, attempts from deliveries
    where event_id = any(${eventIds}::text[])`.execute(db);
  const known = new Set<string>();
  const found: DeliveryRow[] = [];
  for (const row of rows) {
    if (row.kind === 'e') known.add(row.id);
    else found.push(row);
  }
  const results = toResults(items, known, found, deliveries);
  // The same ids: rows the statement above inserted still count as this call's.
  return isComplete(items, results) ? results : stepwise(db, items, { events, deliveries });
}

/**
 * writeFanout as one transaction of separate statements, each of which sees
 * every row committed before it: the authoritative answer when the one-statement
 * form could not tell (unknown apps, concurrent fan-outs of the same event).
 */
export function writeFanoutStepwise(db: Db, items: readonly FanoutItem[]): Promise<FanoutResult[]> {
  return stepwise(db, items, toRows(items));
}

async function stepwise(
  db: Db,
  items: readonly FanoutItem[],
  { events, deliveries }: FanoutRows,
): Promise<FanoutResult[]> {
  return db.transaction().execute(async (trx) => {
    // Joining apps drops events of unknown apps instead of failing the batch.
    await sql`
      insert into events (id, app_id, type, payload, idempotency_key, created_at)
      select v.id, v.app_id, v.type, v.payload, v.idempotency_key, v.created_at
      from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as v(
        id text, app_id text, type text, payload jsonb, idempotency_key text, created_at timestamptz)
      join apps a on a.id = v.app_id
      on conflict (id) do nothing`.execute(trx);
    if (deliveries.length > 0) {
      // pending rows get next_attempt_at so the reconciler's index sees them.
      await sql`
        insert into deliveries (id, event_id, webhook_id, app_id, status, next_attempt_at)
        select v.id, v.event_id, v.webhook_id, v.app_id, v.status,
               case when v.status = 'pending' then now() end
        from jsonb_to_recordset(${JSON.stringify(deliveries)}::jsonb) as v(
          id text, event_id text, webhook_id text, app_id text, status text)
        join events e on e.id = v.event_id
        on conflict (event_id, webhook_id) do nothing`.execute(trx);
    }
    const eventIds = items.map((i) => i.event.id);
    const known = new Set(
      (await trx.selectFrom('events').select('id').where('id', 'in', eventIds).execute()).map((r) => r.id),
    );
    const rows = await trx
      .selectFrom('deliveries')
      .select(['id', 'event_id', 'webhook_id', 'status', 'attempts'])
      .where('event_id', 'in', eventIds)
      .execute();
    return toResults(items, known, rows, deliveries);
  });
}
