import { NotFoundError, ValidationError } from '@herald/core';
import { createTestDatabase, type TestDatabase } from '@herald/testkit';
import { CLI_ACTOR, type Actor } from '../audit/audit.js';
import {
  changeAdminPassword,
  createAdminUser,
  deleteAdminUser,
  findAdminByEmail,
  listAdminUsers,
  verifyPassword,
} from './admins.service.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';

describe('admin management', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });
  beforeEach(async () => {
    await t.db.deleteFrom('admin_users').execute();
    await t.db.deleteFrom('audit_log').execute();
  });

  const actorFor = (id: string): Actor => ({ type: 'admin', id, label: 'test', ip: '127.0.0.1' });

  async function session(sid: string, adminId: string): Promise<void> {
    await t.db
      .insertInto('admin_sessions')
      .values({ sid, admin_id: adminId, data: '{}', expires_at: new Date(Date.now() + 60_000) })
      .execute();
  }

  test('when admins are listed, they come oldest first without password hashes', async () => {
    const a = await createAdminUser(t.db, CLI_ACTOR, { email: 'a@example.com', password: PASSWORD });
    const b = await createAdminUser(t.db, CLI_ACTOR, { email: 'b@example.com', password: PASSWORD });
    const list = await listAdminUsers(t.db);
    expect(list.map((x) => x.id)).toEqual([a.id, b.id]);
    expect(JSON.stringify(list)).not.toContain('argon2');
  });

  test('when an admin removes another, the row and its sessions go and the removal is audited', async () => {
    const a = await createAdminUser(t.db, CLI_ACTOR, { email: 'a@example.com', password: PASSWORD });
    const b = await createAdminUser(t.db, CLI_ACTOR, { email: 'b@example.com', password: PASSWORD });
    await session('sid-b', b.id);
    await deleteAdminUser(t.db, actorFor(a.id), b.id, { actingAdminId: a.id });
    expect((await listAdminUsers(t.db)).map((x) => x.id)).toEqual([a.id]);
    expect(await t.db.selectFrom('admin_sessions').selectAll().execute()).toEqual([]);
    const audit = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'admin.delete')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_id: a.id, target_id: b.id, ip: '127.0.0.1' });
    expect(audit.details).toEqual({ email: 'b@example.com' });
  });

  test('when an admin tries to remove themselves, it is refused and nothing changes', async () => {
    const a = await createAdminUser(t.db, CLI_ACTOR, { email: 'a@example.com', password: PASSWORD });
    await createAdminUser(t.db, CLI_ACTOR, { email: 'b@example.com', password: PASSWORD });
    await expect(deleteAdminUser(t.db, actorFor(a.id), a.id, { actingAdminId: a.id })).rejects.toThrow(
      /cannot remove yourself/,
    );
    expect(await listAdminUsers(t.db)).toHaveLength(2);
  });

  test('when the last admin would be removed, it is refused', async () => {
    const a = await createAdminUser(t.db, CLI_ACTOR, { email: 'a@example.com', password: PASSWORD });
    await expect(deleteAdminUser(t.db, CLI_ACTOR, a.id)).rejects.toThrow(/last admin/);
    expect(await listAdminUsers(t.db)).toHaveLength(1);
  });

  test('when two admins remove each other at the same moment, one admin always remains', async () => {
    const a = await createAdminUser(t.db, CLI_ACTOR, { email: 'a@example.com', password: PASSWORD });
    const b = await createAdminUser(t.db, CLI_ACTOR, { email: 'b@example.com', password: PASSWORD });
    const results = await Promise.allSettled([
      deleteAdminUser(t.db, actorFor(a.id), b.id, { actingAdminId: a.id }),
      deleteAdminUser(t.db, actorFor(b.id), a.id, { actingAdminId: b.id }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect((rejected as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect(await listAdminUsers(t.db)).toHaveLength(1);
  });

  test('when an unknown admin is removed, it is a not-found error', async () => {
    await createAdminUser(t.db, CLI_ACTOR, { email: 'a@example.com', password: PASSWORD });
    await createAdminUser(t.db, CLI_ACTOR, { email: 'b@example.com', password: PASSWORD });
    await expect(deleteAdminUser(t.db, CLI_ACTOR, 'adm_00000000000000000000000000')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  test('when the password is changed, the new one works, the other sessions end and this one stays', async () => {
    const a = await createAdminUser(t.db, CLI_ACTOR, { email: 'a@example.com', password: PASSWORD });
    const b = await createAdminUser(t.db, CLI_ACTOR, { email: 'b@example.com', password: PASSWORD });
    await session('mine', a.id);
    await session('stolen', a.id);
    await session('other-admin', b.id);
    const { sessionsEnded } = await changeAdminPassword(t.db, actorFor(a.id), {
      adminId: a.id,
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      keepSessionId: 'mine',
    });
    expect(sessionsEnded).toBe(1);
    const hash = (await findAdminByEmail(t.db, 'a@example.com'))!.passwordHash;
    expect(await verifyPassword(hash, NEW_PASSWORD)).toBe(true);
    expect(await verifyPassword(hash, PASSWORD)).toBe(false);
    const sids = (await t.db.selectFrom('admin_sessions').select('sid').orderBy('sid').execute()).map(
      (r) => r.sid,
    );
    expect(sids).toEqual(['mine', 'other-admin']);
    const audit = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'admin.password_change')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(audit)).not.toContain(NEW_PASSWORD);
  });

  test.each([
    ['the current password is wrong', 'not the password', NEW_PASSWORD, /current password is wrong/],
    ['the current password is missing', undefined, NEW_PASSWORD, /current password is wrong/],
    ['the new password is too short', PASSWORD, 'short', /12/],
    ['the new password has control characters', PASSWORD, 'new password\u0007with bell', /control/],
    ['the new password is the current one', PASSWORD, PASSWORD, /must differ|current one/],
  ])('when %s, the change is refused and nothing changes', async (_case, current, next, message) => {
    const a = await createAdminUser(t.db, CLI_ACTOR, { email: 'a@example.com', password: PASSWORD });
    await session('other', a.id);
    const change = changeAdminPassword(t.db, actorFor(a.id), {
      adminId: a.id,
      currentPassword: current,
      newPassword: next,
      keepSessionId: 'mine',
    });
    await expect(change).rejects.toBeInstanceOf(ValidationError);
    await expect(change).rejects.toThrow(message);
    const hash = (await findAdminByEmail(t.db, 'a@example.com'))!.passwordHash;
    expect(await verifyPassword(hash, PASSWORD)).toBe(true);
    expect(await t.db.selectFrom('admin_sessions').select('sid').execute()).toEqual([{ sid: 'other' }]);
  });
});
