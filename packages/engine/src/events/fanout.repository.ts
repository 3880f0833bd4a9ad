import { sql } from 'kysely';
import { newId } from '@herald/core';
import type { Db, DeliveryStatus } from '@herald/db';
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
}

export type FanoutResult = { unknownApp: true } | { unknownApp: false; deliveries: RecordedDelivery[] };

/**
 * Records a batch of events and one delivery per match, idempotently: the
 * event id and `unique (event_id, webhook_id)` make a re-run insert nothing
 * new, and the rows returned (not what this run inserted) decide which
 * deliveries still need a queue job.
 */
export async function writeFanout(db: Db, items: readonly FanoutItem[]): Promise<FanoutResult[]> {
  const events = items.map(({ event }) => ({
    id: event.id,
    app_id: event.appId,
    type: event.type,
    payload: event.data,
    idempotency_key: event.idempotencyKey ?? null,
    created_at: event.timestamp,
  }));
  const deliveries = items.flatMap(({ event, matches }) =>
    matches.map((m) => ({
      id: newId('delivery'),
      event_id: event.id,
      webhook_id: m.webhookId,
      app_id: event.appId,
      status: m.deliverable ? 'pending' : 'held',
    })),
  );
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
    const byEvent = new Map<string, RecordedDelivery[]>();
    for (const r of rows) {
      const list = byEvent.get(r.event_id) ?? [];
      list.push({ deliveryId: r.id, webhookId: r.webhook_id, status: r.status, attempts: r.attempts });
      byEvent.set(r.event_id, list);
    }
    return items.map(({ event }) =>
      known.has(event.id)
        ? { unknownApp: false, deliveries: byEvent.get(event.id) ?? [] }
        : { unknownApp: true },
    );
  });
}
