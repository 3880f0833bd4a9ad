import type { Request, RequestHandler, Response, Router } from 'express';
import { findAdminByEmail, hashPassword, recordAudit, verifyPassword } from '@herald/engine';
import { findAdminById, recordLogin } from './admin-state.repository.js';
import { actorOf, field, redirectAfterSave, type PanelContext } from './context.js';
import { csrfTokenFor, newCsrfToken } from './csrf.js';
import { SESSION_COOKIE } from './session.js';

// Longer input is never a password here (the engine caps passwords at 1,024
// characters); refusing it first bounds the hashing work one request can ask for.
const MAX_PASSWORD_CHARS = 1024;
const MAX_EMAIL_CHARS = 320;

// Verified against when the email is unknown, so that a wrong email costs as
// long as a wrong password and response times do not reveal which admins exist.
let dummyHash: Promise<string> | undefined;
function timingDummy(): Promise<string> {
  dummyHash ??= hashPassword('herald-timing-equaliser-not-a-password');
  return dummyHash;
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((error?: Error) => (error ? reject(error) : resolve()));
  });
}

function destroy(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.destroy((error?: Error) => (error ? reject(error) : resolve()));
  });
}

function renderLogin(
  req: Request,
  res: Response,
  status: number,
  locals: { error?: string; email?: string; notice?: string } = {},
): void {
  res.status(status).render('auth/login', {
    title: 'Sign in',
    csrfToken: csrfTokenFor(req),
    error: locals.error,
    notice: locals.notice,
    email: locals.email ?? '',
  });
}

export function registerAuthRoutes(router: Router, ctx: PanelContext): void {
  const { engine, loginRateLimit, log } = ctx;

  router.get('/login', async (req, res) => {
    if (req.session.adminId && (await findAdminById(engine.db, req.session.adminId))) {
      return res.redirect(303, '/');
    }
    renderLogin(req, res, 200, {
      notice: req.query['signed_out'] === '1' ? 'You have been signed out.' : undefined,
    });
  });

  router.post('/login', async (req, res) => {
    const email = field(req, 'email').trim().slice(0, MAX_EMAIL_CHARS);
    const password = field(req, 'password');
    if (!email || !password) {
      return renderLogin(req, res, 400, { error: 'Enter your email and password.', email });
    }
    const ip = req.ip ?? 'unknown';
    const verdict = await loginRateLimit.countAttempt(ip, email);
    if (!verdict.allowed) {
      const minutes = Math.ceil(verdict.retryAfterSeconds / 60);
      res.set('Retry-After', String(verdict.retryAfterSeconds));
      return renderLogin(req, res, 429, {
        error: `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        email,
      });
    }
    const admin = await findAdminByEmail(engine.db, email);
    const isTooLong = [...password].length > MAX_PASSWORD_CHARS;
    const ok =
      admin && !isTooLong
        ? await verifyPassword(admin.passwordHash, password)
        : (await verifyPassword(await timingDummy(), isTooLong ? '' : password)) && false;
    if (!admin || !ok) {
      if (admin) {
        await recordAudit(engine.db, actorOf(req, { ...admin, lastAppId: null }), {
          action: 'admin.login_failed',
          targetType: 'admin_user',
          targetId: admin.id,
        });
      }
      return renderLogin(req, res, 401, { error: 'Invalid email or password.', email });
    }
    await loginRateLimit.clear(ip, email);
    // A new session id at the privilege change: a fixated or leaked pre-login id is worthless.
    await regenerate(req);
    ctx.store.startSignedIn(req.sessionID);
    req.session.adminId = admin.id;
    req.session.csrfToken = newCsrfToken();
    await recordLogin(engine.db, admin.id);
    await recordAudit(engine.db, actorOf(req, { ...admin, lastAppId: null }), {
      action: 'admin.login',
      targetType: 'admin_user',
      targetId: admin.id,
    });
    ctx.store.prune().catch((error: unknown) => log.warn({ err: error }, 'session pruning failed'));
    await redirectAfterSave(req, res, '/');
  });

  const logout: RequestHandler = async (req, res) => {
    const adminId = req.session.adminId;
    if (adminId) {
      const admin = await findAdminById(engine.db, adminId);
      if (admin) {
        await recordAudit(engine.db, actorOf(req, admin), {
          action: 'admin.logout',
          targetType: 'admin_user',
          targetId: admin.id,
        });
      }
    }
    await destroy(req);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/login?signed_out=1');
  };
  router.post('/logout', logout);
}
