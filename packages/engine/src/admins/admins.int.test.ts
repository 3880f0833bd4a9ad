import { ValidationError } from '@herald/core';
import { createTestDatabase, type TestDatabase } from '@herald/testkit';
import { CLI_ACTOR } from '../audit/audit.js';
import {
  createAdminUser,
  ensureInitialAdmin,
  findAdminByEmail,
  hashPassword,
  verifyPassword,
} from './admins.service.js';

const PASSWORD = 'correct horse battery';

describe('admin users', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });

  test('when a password is hashed, the hash is argon2id with a fresh salt and verifies only that password', async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword(a, PASSWORD)).toBe(true);
    expect(await verifyPassword(a, `${PASSWORD}!`)).toBe(false);
    expect(await verifyPassword('not a hash', PASSWORD)).toBe(false);
  });

  test('when an admin is created, only the hash is stored and the creation is audited without the password', async () => {
    const admin = await createAdminUser(t.db, CLI_ACTOR, {
      email: ' Alice@Example.com ',
      password: PASSWORD,
    });
    expect(admin).toEqual({
      id: expect.stringMatching(/^adm_/),
      email: 'Alice@Example.com',
      createdAt: expect.any(Date),
      lastLoginAt: null,
    });
    const row = await t.db
      .selectFrom('admin_users')
      .selectAll()
      .where('id', '=', admin.id)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).not.toContain(PASSWORD);
    expect(await verifyPassword(row.password_hash, PASSWORD)).toBe(true);
    const audit = await t.db.selectFrom('audit_log').selectAll().where('target_id', '=', admin.id).execute();
    expect(audit).toEqual([
      expect.objectContaining({ action: 'admin.create', actor_type: 'cli', target_type: 'admin_user' }),
    ]);
    expect(JSON.stringify(audit[0]!.details)).not.toContain(PASSWORD);
    expect((await findAdminByEmail(t.db, 'alice@EXAMPLE.com'))?.id).toBe(admin.id);
  });

  test('when the email exists in another case, creation is refused naming the email', async () => {
    await createAdminUser(t.db, CLI_ACTOR, { email: 'bob@example.com', password: PASSWORD });
    const attempt = createAdminUser(t.db, CLI_ACTOR, { email: 'BOB@example.com', password: PASSWORD });
    await expect(attempt).rejects.toThrow(ValidationError);
    await expect(attempt).rejects.toMatchObject({ issues: [{ field: 'email' }] });
  });

  test.each([
    ['a short password', { email: 'c@example.com', password: 'elevenchars' }, 'password'],
    ['a password with a line break', { email: 'c@example.com', password: `${PASSWORD}\nx` }, 'password'],
    ['a malformed email', { email: 'c@', password: PASSWORD }, 'email'],
    ['a missing email', { email: undefined, password: PASSWORD }, 'email'],
  ])('when given %s, nothing is created and the field is named', async (_what, input, field) => {
    await expect(createAdminUser(t.db, CLI_ACTOR, input)).rejects.toMatchObject({ issues: [{ field }] });
    expect(await findAdminByEmail(t.db, 'c@example.com')).toBeUndefined();
  });

  test('when the initial admin is ensured twice, it is created once and never changed', async () => {
    const first = await ensureInitialAdmin(t.db, { email: 'ops@example.com', password: PASSWORD });
    expect(first.created).toBe(true);
    const before = await findAdminByEmail(t.db, 'ops@example.com');
    const second = await ensureInitialAdmin(t.db, {
      email: 'OPS@example.com',
      password: 'a different password',
    });
    expect(second).toEqual({ created: false, admin: first.admin });
    const after = await findAdminByEmail(t.db, 'ops@example.com');
    expect(after?.passwordHash).toBe(before?.passwordHash);
    expect(await verifyPassword(after!.passwordHash, PASSWORD)).toBe(true);
    const audit = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('target_id', '=', first.admin.id)
      .execute();
    expect(audit).toEqual([expect.objectContaining({ action: 'admin.create', actor_type: 'system' })]);
  });

  test('when two processes ensure the same initial admin at once, exactly one creates it', async () => {
    const results = await Promise.all([
      ensureInitialAdmin(t.db, { email: 'race@example.com', password: PASSWORD }),
      ensureInitialAdmin(t.db, { email: 'race@example.com', password: PASSWORD }),
    ]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results[0].admin.id).toBe(results[1].admin.id);
  });
});
