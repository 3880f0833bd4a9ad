import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { sql } from 'kysely';
import {
  ADMIN_PASSWORD_MAX_LENGTH,
  ADMIN_PASSWORD_MIN_LENGTH,
  NotFoundError,
  ValidationError,
  adminPasswordProblem,
  newId,
} from '@herald/core';
import type { AdminUserRow, Db } from '@herald/db';
import { SYSTEM_ACTOR, recordAudit, type Actor } from '../audit/audit.js';

export interface AdminUser {
  id: string;
  email: string;
  createdAt: Date;
  lastLoginAt: Date | null;
}

export const MIN_PASSWORD_LENGTH = ADMIN_PASSWORD_MIN_LENGTH;
// Bounds the hashing work one request can ask for; no real passphrase is longer.
const MAX_PASSWORD_LENGTH = ADMIN_PASSWORD_MAX_LENGTH;
const MAX_EMAIL_LENGTH = 320;
// Deliberately loose (one @, a dot in the domain, no spaces): the address is a
// login name here, nothing is mailed to it.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// `Algorithm` is an ambient const enum, which isolatedModules cannot inline
// (its runtime object is empty); 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;
// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const HASH_OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

const UNIQUE_VIOLATION = '23505';

/** An argon2id PHC string (`$argon2id$v=19$m=…`) with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  return hash(password, HASH_OPTIONS);
}

/** True when `password` matches `passwordHash`; false for a wrong password or a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

export function parseAdminEmail(email: unknown): string {
  const value = typeof email === 'string' ? email.trim() : '';
  if (value.length < 3 || value.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(value)) {
    throw new ValidationError('invalid admin: email must be an email address', [
      { field: 'email', message: 'must be an email address' },
    ]);
  }
  return value;
}

export function checkAdminPassword(password: unknown): string {
  // The rule lives in @herald/core, so HERALD_ADMIN_PASSWORD is checked by it at start-up too.
  const problem =
    typeof password === 'string'
      ? adminPasswordProblem(password)
      : `must be ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters`;
  if (problem !== undefined) {
    throw new ValidationError(`invalid admin: password ${problem}`, [
      { field: 'password', message: problem },
    ]);
  }
  return password as string;
}

function toAdminUser(row: Pick<AdminUserRow, 'id' | 'email' | 'created_at' | 'last_login_at'>): AdminUser {
  return { id: row.id, email: row.email, createdAt: row.created_at, lastLoginAt: row.last_login_at };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;
}

function duplicateEmail(): ValidationError {
  return new ValidationError('invalid admin: an admin with this email already exists', [
    { field: 'email', message: 'an admin with this email already exists' },
  ]);
}

/** The admin with this email (compared case-insensitively), or undefined. */
export async function findAdminByEmail(
  db: Db,
  email: string,
): Promise<(AdminUser & { passwordHash: string }) | undefined> {
  const row = await db
    .selectFrom('admin_users')
    .select(['id', 'email', 'password_hash', 'created_at', 'last_login_at'])
    .where(sql<string>`lower(email)`, '=', email.trim().toLowerCase())
    .executeTakeFirst();
  return row ? { ...toAdminUser(row), passwordHash: row.password_hash } : undefined;
}

/**
 * Creates a staff login. Emails are unique case-insensitively (the unique
 * index on lower(email) decides, so concurrent creators cannot both win).
 * The password is stored only as an argon2id hash and never audited.
 */
export async function createAdminUser(
  db: Db,
  actor: Actor,
  input: { email: unknown; password: unknown },
): Promise<AdminUser> {
  const email = parseAdminEmail(input.email);
  const password = checkAdminPassword(input.password);
  if (await findAdminByEmail(db, email)) throw duplicateEmail();
  const passwordHash = await hashPassword(password);
  const id = newId('admin');
  let row: Pick<AdminUserRow, 'id' | 'email' | 'created_at' | 'last_login_at'>;
  try {
    row = await db
      .insertInto('admin_users')
      .values({ id, email, password_hash: passwordHash })
      .returning(['id', 'email', 'created_at', 'last_login_at'])
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateEmail();
    throw error;
  }
  await recordAudit(db, actor, {
    action: 'admin.create',
    targetType: 'admin_user',
    targetId: id,
    details: { email },
  });
  return toAdminUser(row);
}

/**
 * The start-up admin (HERALD_ADMIN_EMAIL/PASSWORD): created when no admin has
 * this email; an existing admin is never changed, so a password changed in the
 * panel survives restarts with the old variables still set.
 */
export async function ensureInitialAdmin(
  db: Db,
  input: { email: string; password: string },
): Promise<{ created: boolean; admin: AdminUser }> {
  const existing = await findAdminByEmail(db, input.email);
  if (existing) return { created: false, admin: toPublic(existing) };
  try {
    return { created: true, admin: await createAdminUser(db, SYSTEM_ACTOR, input) };
  } catch (error) {
    // Another admin process starting at the same moment created it first.
    if (error instanceof ValidationError && error.issues.some((i) => i.field === 'email')) {
      const winner = await findAdminByEmail(db, input.email);
      if (winner) return { created: false, admin: toPublic(winner) };
    }
    throw error;
  }
}

function toPublic(admin: AdminUser & { passwordHash: string }): AdminUser {
  return { id: admin.id, email: admin.email, createdAt: admin.createdAt, lastLoginAt: admin.lastLoginAt };
}

/** Every staff login, oldest first. */
export async function listAdminUsers(db: Db): Promise<AdminUser[]> {
  const rows = await db
    .selectFrom('admin_users')
    .select(['id', 'email', 'created_at', 'last_login_at'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toAdminUser);
}

/**
 * Removes a staff login and, by cascade, its sessions. Never the acting
 * admin, never the last one: the check and the delete run under a lock on
 * every admin row, so two admins removing each other at once cannot leave
 * nobody able to sign in.
 */
export async function deleteAdminUser(
  db: Db,
  actor: Actor,
  adminId: string,
  options: { actingAdminId?: string } = {},
): Promise<AdminUser> {
  if (options.actingAdminId === adminId) {
    throw new ValidationError('invalid admin: you cannot remove yourself', [
      { field: 'adminId', message: 'you cannot remove yourself' },
    ]);
  }
  const removed = await db.transaction().execute(async (trx) => {
    const all = await trx
      .selectFrom('admin_users')
      .select(['id', 'email', 'created_at', 'last_login_at'])
      .orderBy('id')
      .forUpdate()
      .execute();
    const target = all.find((a) => a.id === adminId);
    if (!target) throw new NotFoundError('admin', adminId);
    if (all.length <= 1) {
      throw new ValidationError('invalid admin: the last admin cannot be removed', [
        { field: 'adminId', message: 'the last admin cannot be removed' },
      ]);
    }
    await trx.deleteFrom('admin_users').where('id', '=', adminId).execute();
    return target;
  });
  await recordAudit(db, actor, {
    action: 'admin.delete',
    targetType: 'admin_user',
    targetId: adminId,
    details: { email: removed.email },
  });
  return toAdminUser(removed);
}

/**
 * Changes an admin's own password after checking the current one. Every
 * other session of that admin is ended (a stolen session dies with the old
 * password); `keepSessionId` — the session making the change — survives.
 */
export async function changeAdminPassword(
  db: Db,
  actor: Actor,
  input: { adminId: string; currentPassword: unknown; newPassword: unknown; keepSessionId?: string },
): Promise<{ sessionsEnded: number }> {
  const row = await db
    .selectFrom('admin_users')
    .select(['id', 'password_hash'])
    .where('id', '=', input.adminId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('admin', input.adminId);
  const current = typeof input.currentPassword === 'string' ? input.currentPassword : '';
  const isCurrentOk =
    current !== '' &&
    [...current].length <= MAX_PASSWORD_LENGTH &&
    (await verifyPassword(row.password_hash, current));
  if (!isCurrentOk) {
    await recordAudit(db, actor, {
      action: 'admin.password_change_refused',
      targetType: 'admin_user',
      targetId: input.adminId,
    });
    throw new ValidationError('invalid password change: the current password is wrong', [
      { field: 'currentPassword', message: 'is not your current password' },
    ]);
  }
  const next = checkAdminPassword(input.newPassword);
  if (next === current) {
    throw new ValidationError('invalid password change: the new password is the current one', [
      { field: 'password', message: 'must differ from the current password' },
    ]);
  }
  const passwordHash = await hashPassword(next);
  const sessionsEnded = await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('admin_users')
      .set({ password_hash: passwordHash, updated_at: new Date() })
      .where('id', '=', input.adminId)
      .execute();
    let ending = trx.deleteFrom('admin_sessions').where('admin_id', '=', input.adminId);
    if (input.keepSessionId !== undefined) ending = ending.where('sid', '<>', input.keepSessionId);
    const result = await ending.executeTakeFirst();
    return Number(result.numDeletedRows);
  });
  await recordAudit(db, actor, {
    action: 'admin.password_change',
    targetType: 'admin_user',
    targetId: input.adminId,
    details: { sessionsEnded },
  });
  return { sessionsEnded };
}
