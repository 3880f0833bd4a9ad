import { ValidationError } from '@herald/core';
import { createTestDatabase, sleep, type TestDatabase } from '@herald/testkit';
import { recordAudit, type Actor } from './audit.js';
import { listAuditActions, listAuditLog } from './audit-log.js';

describe('audit log', () => {
  let t: TestDatabase;
  const alice: Actor = {
    type: 'admin',
    id: 'adm_01JD0000000000000000000001',
    label: 'alice@example.com',
    ip: '203.0.113.9',
  };
  const bob: Actor = {
    type: 'admin',
    id: 'adm_01JD0000000000000000000002',
    label: 'bob@example.com',
    ip: '::1',
  };

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });
  beforeEach(async () => {
    await t.db.deleteFrom('audit_log').execute();
  });

  test('when the log is paged and filtered, rows come newest first, once each, matching the filter', async () => {
    for (let i = 0; i < 12; i++) {
      await recordAudit(t.db, i % 2 === 0 ? alice : bob, {
        action: i % 3 === 0 ? 'webhook.delete' : 'admin.login',
        targetType: 'thing',
        targetId: `t${i}`,
      });
      // Ids order by their millisecond; two rows made in the same one have no order between them.
      await sleep(2);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = await listAuditLog(t.db, { limit: 5, ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((r) => r.targetId ?? ''));
      cursor = page.nextCursor ?? undefined;
      if (!cursor) break;
    }
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `t${11 - i}`));

    const bobs = await listAuditLog(t.db, { actorId: bob.id! });
    expect(bobs.data.map((r) => r.targetId)).toEqual(['t11', 't9', 't7', 't5', 't3', 't1']);
    expect(bobs.data[0]).toMatchObject({ actorLabel: 'bob@example.com', ip: '::1', actorType: 'admin' });
    const deletes = await listAuditLog(t.db, { action: 'webhook.delete', actorId: alice.id! });
    expect(deletes.data.map((r) => r.targetId)).toEqual(['t6', 't0']);
    expect(await listAuditActions(t.db)).toEqual(['admin.login', 'webhook.delete']);
  });

  test.each([
    [{ action: 'DROP TABLE' }, /action/],
    [{ action: 'x'.repeat(200) + '.y' }, /action/],
    [{ actorId: "adm_' or 1=1" }, /actor/],
    [{ cursor: 'nope' }, /cursor/],
    [{ limit: 201 }, /limit/],
  ])('when the search is %j, it is refused', async (search, message) => {
    const run = listAuditLog(t.db, search);
    await expect(run).rejects.toBeInstanceOf(ValidationError);
    await expect(run).rejects.toThrow(message);
  });
});
