import type { Router } from 'express';
import { NotFoundError, ValidationError, isId } from '@herald/core';
import { changeAdminPassword, createAdminUser, deleteAdminUser, listAdminUsers } from '@herald/engine';
import {
  actorOf,
  currentAdmin,
  describeValidation,
  field,
  redirectAfterSave,
  renderPanel,
  setFlash,
  type PanelContext,
} from './context.js';

export const ADMINS_PATH = '/admins';
export const ACCOUNT_PATH = '/account';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function registerAdminRoutes(router: Router, ctx: PanelContext): void {
  const { engine, loginRateLimit } = ctx;

  router.get(ADMINS_PATH, async (req, res) => {
    const admins = await listAdminUsers(engine.db);
    await renderPanel(ctx, req, res, 'admins/index', { section: 'admins', title: 'Admins', admins });
  });

  router.post(ADMINS_PATH, async (req, res) => {
    const email = field(req, 'email').trim();
    try {
      const admin = await createAdminUser(engine.db, actorOf(req, currentAdmin(res)), {
        email,
        password: field(req, 'password'),
      });
      setFlash(req, {
        type: 'success',
        message: `Admin ${admin.email} added. Give them the initial password through a safe channel.`,
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      setFlash(req, {
        type: 'error',
        message: describeValidation(error),
        form: { email },
      });
    }
    await redirectAfterSave(req, res, ADMINS_PATH);
  });

  router.post('/admins/:adminId/delete', async (req, res) => {
    const adminId = req.params['adminId'];
    if (!isId('admin', adminId)) throw new NotFoundError('admin', String(adminId));
    const me = currentAdmin(res);
    try {
      const removed = await deleteAdminUser(engine.db, actorOf(req, me), adminId, { actingAdminId: me.id });
      setFlash(req, {
        type: 'success',
        message: `Admin ${removed.email} removed; their sessions have ended.`,
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      setFlash(req, { type: 'error', message: `Not removed: ${error.issues[0]?.message ?? error.message}.` });
    }
    await redirectAfterSave(req, res, ADMINS_PATH);
  });

  router.get(ACCOUNT_PATH, async (req, res) => {
    await renderPanel(ctx, req, res, 'admins/account', { section: 'account', title: 'My account' });
  });

  router.post('/account/password', async (req, res) => {
    const me = currentAdmin(res);
    const next = field(req, 'newPassword');
    if (next !== field(req, 'confirmPassword')) {
      setFlash(req, { type: 'error', message: 'New password: the two entries do not match.', form: {} });
      return redirectAfterSave(req, res, ACCOUNT_PATH);
    }
    // The current password is a password guess like any other: same throttle as the login form.
    const ip = req.ip ?? 'unknown';
    const verdict = await loginRateLimit.countAttempt(ip, me.email);
    if (!verdict.allowed) {
      res.set('Retry-After', String(verdict.retryAfterSeconds));
      setFlash(req, { type: 'error', message: 'Too many attempts. Try again later.', form: {} });
      return redirectAfterSave(req, res, ACCOUNT_PATH);
    }
    try {
      const { sessionsEnded } = await changeAdminPassword(engine.db, actorOf(req, me), {
        adminId: me.id,
        currentPassword: field(req, 'currentPassword'),
        newPassword: next,
        keepSessionId: req.sessionID,
      });
      await loginRateLimit.clear(ip, me.email);
      setFlash(req, {
        type: 'success',
        message:
          sessionsEnded > 0
            ? `Password changed. ${plural(sessionsEnded, 'other session was', 'other sessions were')} signed out.`
            : 'Password changed.',
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const message = error.issues
        .map((i) => `${i.field === 'currentPassword' ? 'Current password' : 'New password'}: ${i.message}`)
        .join(' · ');
      setFlash(req, { type: 'error', message, form: {} });
    }
    await redirectAfterSave(req, res, ACCOUNT_PATH);
  });
}
