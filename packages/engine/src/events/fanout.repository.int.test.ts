import { newId } from '@herald/core';
import type { EventJobData } from '@herald/queue';
import { createTestDatabase, type TestDatabase } from '@herald/testkit';
import { writeFanout, writeFanoutStepwise, type FanoutItem, type FanoutResult } from './fanout.repository.js';

function event(appId: string): EventJobData {
  return {
    v: 1,
    id: newId('event'),
    appId,
    type: 'user.created',
    timestamp: new Date().toISOString(),
    data: { user: 'u_1' },
  };
}

function deliveriesOf(result: FanoutResult | undefined): { webhookId: string; status: string }[] {
  if (!result || result.unknownApp) throw new Error('expected a known event');
  return result.deliveries
    .map((d) => ({ webhookId: d.webhookId, status: d.status }))
    .sort((a, b) => a.webhookId.localeCompare(b.webhookId));
}

function createdFlags(result: FanoutResult | undefined): boolean[] {
  if (!result || result.unknownApp) throw new Error('expected a known event');
  return result.deliveries.map((d) => d.created);
}

describe('writeFanout', () => {
  let t: TestDatabase;
  let appId: string;
  const webhooks = [newId('webhook'), newId('webhook')].sort();
  const [enabled, paused] = webhooks as [string, string];

  beforeAll(async () => {
    t = await createTestDatabase();
    appId = newId('app');
    await t.db.insertInto('apps').values({ id: appId, name: 'Fan-out' }).execute();
    await t.db
      .insertInto('webhooks')
      .values(
        webhooks.map((id) => ({ id, app_id: appId, url: 'https://example.com/h', secret_ciphertext: 'x' })),
      )
      .execute();
  });
  afterAll(async () => {
    await t.drop();
  });

  const matchesBoth = [
    { webhookId: enabled, deliverable: true },
    { webhookId: paused, deliverable: false },
  ];

  test('when a batch is written, each event gets its rows: pending for deliverable matches, held for the others', async () => {
    const items: FanoutItem[] = [
      { event: event(appId), matches: matchesBoth },
      { event: event(appId), matches: [] },
    ];
    const [first, second] = await writeFanout(t.db, items);
    expect(deliveriesOf(first)).toEqual([
      { webhookId: enabled, status: 'pending' },
      { webhookId: paused, status: 'held' },
    ]);
    expect(deliveriesOf(second)).toEqual([]);
    const rows = await t.db
      .selectFrom('deliveries')
      .select(['status', 'next_attempt_at'])
      .where('event_id', '=', items[0]!.event.id)
      .execute();
    expect(rows.find((r) => r.status === 'pending')?.next_attempt_at).toBeInstanceOf(Date);
    expect(rows.find((r) => r.status === 'held')?.next_attempt_at).toBeNull();
  });

  test('when a fan-out is run again, it inserts nothing new and returns the rows of the first run', async () => {
    const items: FanoutItem[] = [{ event: event(appId), matches: matchesBoth }];
    const [first] = await writeFanout(t.db, items);
    // A re-run of the event job builds its items anew.
    const [again] = await writeFanout(
      t.db,
      items.map((i) => ({ ...i })),
    );
    // The same rows; their order within one event is not part of the contract.
    const byDelivery = (r: typeof first) =>
      r && 'deliveries' in r
        ? [...r.deliveries]
            .sort((a, b) => a.deliveryId.localeCompare(b.deliveryId))
            .map(({ created: _created, ...row }) => row)
        : r;
    expect(byDelivery(again)).toEqual(byDelivery(first));
    // Only the run that inserted a row says so (what counts first attempts once).
    expect(createdFlags(first)).toEqual([true, true]);
    expect(createdFlags(again)).toEqual([false, false]);
    const count = await t.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('event_id', '=', items[0]!.event.id)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2);
  });

  test('when one event of a batch belongs to no app, only that one is refused as unknown', async () => {
    const good = event(appId);
    const stray = event(newId('app'));
    const results = await writeFanout(t.db, [
      { event: stray, matches: [{ webhookId: enabled, deliverable: true }] },
      { event: good, matches: [{ webhookId: enabled, deliverable: true }] },
    ]);
    expect(results[0]).toEqual({ unknownApp: true });
    expect(deliveriesOf(results[1])).toEqual([{ webhookId: enabled, status: 'pending' }]);
    // Found through the stepwise form, which proposes the same ids: still this write's row.
    expect(createdFlags(results[1])).toEqual([true]);
    const stored = await t.db.selectFrom('events').select('id').where('id', '=', stray.id).execute();
    expect(stored).toEqual([]);
  });

  test('when a write is retried with the same items (its first try committed, then its connection broke), its rows still count as created', async () => {
    const items: FanoutItem[] = [{ event: event(appId), matches: matchesBoth }];
    await writeFanout(t.db, items);
    const [retried] = await writeFanout(t.db, items);
    expect(createdFlags(retried)).toEqual([true, true]);
  });

  test('when another fan-out of the same event commits while this one runs, the rows it wrote are returned, not lost', async () => {
    const item: FanoutItem = { event: event(appId), matches: matchesBoth };
    const theirDeliveryId = newId('delivery');
    let ours: Promise<FanoutResult[]> | undefined;
    // The other fan-out holds its uncommitted rows while ours starts (and waits
    // on their unique keys), then commits: ours must still report its rows.
    await t.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('events')
        .values({
          id: item.event.id,
          app_id: appId,
          type: item.event.type,
          payload: JSON.stringify(item.event.data),
          created_at: item.event.timestamp,
        })
        .execute();
      await trx
        .insertInto('deliveries')
        .values({
          id: theirDeliveryId,
          event_id: item.event.id,
          webhook_id: enabled,
          app_id: appId,
          status: 'pending',
        })
        .execute();
      ours = writeFanout(t.db, [item]);
      await new Promise((r) => setTimeout(r, 300));
    });
    const [result] = await ours!;
    expect(deliveriesOf(result)).toEqual([
      { webhookId: enabled, status: 'pending' },
      { webhookId: paused, status: 'held' },
    ]);
    if (result?.unknownApp !== false) throw new Error('expected a known event');
    expect(result.deliveries.find((d) => d.webhookId === enabled)).toMatchObject({
      deliveryId: theirDeliveryId,
      created: false,
    });
    expect(result.deliveries.find((d) => d.webhookId === paused)?.created).toBe(true);
  });

  test('when the step-by-step form writes the same batch, it returns what the one-statement form does', async () => {
    const items: FanoutItem[] = [
      { event: event(appId), matches: matchesBoth },
      { event: event(newId('app')), matches: [] },
    ];
    const fast = await writeFanout(t.db, items);
    const stepwise = await writeFanoutStepwise(
      t.db,
      items.map((i) => ({ ...i })),
    );
    // The same rows; the second write inserted none of them.
    const notCreated = (results: FanoutResult[]) =>
      results.map((r) =>
        r.unknownApp ? r : { ...r, deliveries: r.deliveries.map((d) => ({ ...d, created: false })) },
      );
    expect(stepwise).toEqual(notCreated(fast));
    expect(createdFlags(fast[0])).toEqual([true, true]);
    expect(createdFlags(stepwise[0])).toEqual([false, false]);
  });
});
