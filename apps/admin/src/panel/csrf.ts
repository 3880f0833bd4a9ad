import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';

export const CSRF_FIELD = '_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The session's token, made on first use (the login page is the first form a visitor sees). */
export function csrfTokenFor(req: Request): string {
  req.session.csrfToken ??= newCsrfToken();
  return req.session.csrfToken;
}

function submittedToken(req: Request): string | undefined {
  const body: unknown = req.body;
  const fromBody =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[CSRF_FIELD] : undefined;
  if (typeof fromBody === 'string') return fromBody;
  return req.get('x-csrf-token');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Synchronizer token: every request that may change state must carry the
 * token stored in its session, or it is refused with 403 before any handler
 * runs. A session without a token (or no session) never matches.
 */
export function requireCsrfToken(onRefused: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const expected = req.session.csrfToken;
    const given = submittedToken(req);
    if (expected && given && sameToken(expected, given)) return next();
    return onRefused(req, res, next);
  };
}
