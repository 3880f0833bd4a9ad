import { ValidationError, newId } from '@herald/core';
import { createTestDatabase, type TestDatabase } from '@herald/testkit';
import { createApp } from '../apps/apps.service.js';
import { CLI_ACTOR } from '../audit/audit.js';
import { MAX_PUBLISHED_TYPES, listPublishedEventTypes, searchEvents } from './event-search.js';

describe('event search', () => {
  let t: TestDatabase;
  let appId: string;
  let otherAppId: string;
  const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });
  beforeEach(async () => {
    await t.db.deleteFrom('apps').execute();
    appId = (await createApp(t.db, CLI_ACTOR, { name: 'Shop' })).id;
    otherAppId = (await createApp(t.db, CLI_ACTOR, { name: 'Other' })).id;
  });

  async function insertEvents(app: string, items: { type: string; atMs: number }[]): Promise<string[]> {
    const rows = items.map((e) => ({
      id: newId('event', e.atMs),
      app_id: app,
      type: e.type,
      payload: JSON.stringify({ n: 1 }),
      created_at: new Date(e.atMs),
    }));
    await t.db.insertInto('events').values(rows).execute();
    return rows.map((r) => r.id);
  }

  test('when events are paged, every event comes exactly once, newest first, including same-millisecond ties', async () => {
    // 25 events in 5 distinct milliseconds: ties must be broken by id across page edges.
    const ids = await insertEvents(
      appId,
      Array.from({ length: 25 }, (_, i) => ({ type: 'user.register', atMs: T0 + Math.floor(i / 5) })),
    );
    await insertEvents(otherAppId, [{ type: 'user.register', atMs: T0 }]);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await searchEvents(t.db, appId, { limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(25);
    expect(seen.sort()).toEqual([...ids].sort());
    const first = await searchEvents(t.db, appId, { limit: 25 });
    const times = first.data.map((e) => e.timestamp.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(first.nextCursor).toBeNull();
  });

  test('when filtered by type and time range, only matching events of this app come back', async () => {
    const [, inRange] = await insertEvents(appId, [
      { type: 'payment.failed', atMs: T0 - 1 },
      { type: 'payment.failed', atMs: T0 },
      { type: 'payment.success', atMs: T0 + 10 },
      { type: 'payment.failed', atMs: T0 + 1000 },
    ]);
    const page = await searchEvents(t.db, appId, {
      type: 'payment.failed',
      since: new Date(T0),
      until: new Date(T0 + 1000),
    });
    expect(page.data.map((e) => e.id)).toEqual([inRange]);
    expect(page.data[0]).toMatchObject({ type: 'payment.failed', deliveryCount: 0 });
    expect((await searchEvents(t.db, otherAppId, { type: 'payment.failed' })).data).toEqual([]);
  });

  test.each([
    [{ cursor: 'garbage' }, /cursor/],
    [{ cursor: '1.msg_x' }, /cursor/],
    [{ cursor: `99999999999999999999.${newId('event')}` }, /cursor/],
    [{ type: 'bad type!' }, /type/],
    [{ type: 'x'.repeat(257) }, /type/],
    [{ limit: 0 }, /limit/],
    [{ limit: 1000 }, /limit/],
    [{ since: new Date(T0), until: new Date(T0) }, /after since/],
  ])('when the search is %j, it is refused with a validation error', async (search, message) => {
    const run = searchEvents(t.db, appId, search);
    await expect(run).rejects.toBeInstanceOf(ValidationError);
    await expect(run).rejects.toThrow(message);
  });

  test('when the published types are listed, each distinct type of this app comes once, sorted', async () => {
    await insertEvents(appId, [
      { type: 'user.register', atMs: T0 },
      { type: 'auth.login.failed', atMs: T0 },
      { type: 'auth.login.failed', atMs: T0 + 1 },
      { type: 'custom.thing', atMs: T0 + 2 },
    ]);
    await insertEvents(otherAppId, [{ type: 'only.elsewhere', atMs: T0 }]);
    expect(await listPublishedEventTypes(t.db, appId)).toEqual([
      'auth.login.failed',
      'custom.thing',
      'user.register',
    ]);
  });

  test('when an app has published more types than the bound, the list stops at the bound', async () => {
    const many = Array.from({ length: MAX_PUBLISHED_TYPES + 20 }, (_, i) => ({
      type: `t.${String(i).padStart(4, '0')}`,
      atMs: T0,
    }));
    await insertEvents(appId, many);
    const types = await listPublishedEventTypes(t.db, appId);
    expect(types).toHaveLength(MAX_PUBLISHED_TYPES);
    expect(types[0]).toBe('t.0000');
  });
});
