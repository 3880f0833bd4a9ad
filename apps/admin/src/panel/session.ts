import { createHmac, randomBytes } from 'node:crypto';
import session from 'express-session';
import type { RequestHandler } from 'express';
import type { AdminSettings } from '../settings.js';
import type { PostgresSessionStore } from './session-store.js';

/** A message for the next page (the seed's `$_SESSION['msg']` + `toast_type`). */
export interface Flash {
  type: 'success' | 'error';
  message: string;
  /** A signing secret or API key to show once, encrypted with the keyring while it waits. */
  revealCiphertext?: string;
  revealLabel?: string;
  /** What the failed form held, so the modal reopens filled in. */
  form?: Record<string, string>;
  /** A link shown in the toast (a panel path). */
  link?: { href: string; label: string };
}

declare module 'express-session' {
  interface SessionData {
    adminId: string;
    csrfToken: string;
    flash: Flash;
  }
}

export const SESSION_COOKIE = 'herald_sid';
export const IDLE_TIMEOUT_MS = 30 * 60 * 1000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60 * 1000;

/**
 * The cookie only carries a 192-bit random session id; the session itself is
 * in Postgres. Its signature key comes from the settings (derived from
 * HERALD_SECRET_KEY, so every admin process accepts every cookie); without
 * one (tests) a per-process key does.
 */
function cookieSecret(settings: AdminSettings): string {
  const base = settings.sessionSecret ?? randomBytes(32);
  return createHmac('sha256', base).update('herald admin session cookie v1').digest('base64url');
}

export function createSessionMiddleware(
  settings: AdminSettings,
  store: PostgresSessionStore,
): RequestHandler {
  return session({
    name: SESSION_COOKIE,
    store,
    secret: cookieSecret(settings),
    resave: false,
    // No row for visitors who never see a form; the login page creates one for its CSRF token.
    saveUninitialized: false,
    // Every request moves the idle deadline (cookie and row alike).
    rolling: true,
    unset: 'destroy',
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      // Secure whenever the request came over https (directly, or through the proxy
      // HERALD_TRUST_PROXY trusts). Not `true` in production: a browser never sends
      // a Secure cookie back over plain http, so signing in there would loop for ever.
      secure: 'auto',
      path: '/',
      maxAge: IDLE_TIMEOUT_MS,
    },
  });
}
