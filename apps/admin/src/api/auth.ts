import type { Request, RequestHandler, Response } from 'express';
import {
  createApiKeyUsageTracker,
  findApiKeyByToken,
  type Actor,
  type ApiKey,
  type Engine,
} from '@herald/engine';
import type { Logger } from '@herald/logger';
import { ApiError } from './errors.js';
import type { RateLimiter } from './rate-limit.js';

export interface ApiCaller {
  key: ApiKey;
  /** Who the audit log names for this request. */
  actor: Actor;
}

const BEARER = /^Bearer +([^\s]+) *$/i;

/** The authenticated key of this request (set by `authenticate`). */
export function callerOf(res: Response): ApiCaller {
  const caller = res.locals['apiCaller'] as ApiCaller | undefined;
  if (!caller) throw new Error('route is missing authenticate');
  return caller;
}

function unauthorized(message: string): ApiError {
  return new ApiError(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer' });
}

/**
 * `Authorization: Bearer <key>` only — cookies are never read here, so no
 * CSRF applies. Then the key's rate limit, shared by all admin processes.
 */
export function createAuthenticate(deps: {
  engine: Engine;
  log: Logger;
  limiter: RateLimiter;
}): RequestHandler {
  const usage = createApiKeyUsageTracker(deps.engine.db, {
    onError: (err) => deps.log.warn({ err }, 'api key last use not recorded'),
  });
  return async (req: Request, res: Response, next) => {
    const header = req.get('authorization');
    if (header === undefined) throw unauthorized('an API key is required: Authorization: Bearer <key>');
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) throw unauthorized('the Authorization header must be "Bearer <key>"');
    const key = await findApiKeyByToken(deps.engine.db, token);
    if (!key) throw unauthorized('unknown or revoked API key');
    const waitMs = await deps.limiter.admit(key.id);
    if (waitMs > 0) {
      throw new ApiError(429, 'rate_limited', 'too many requests for this API key', undefined, {
        'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
      });
    }
    void usage.touch(key.id);
    res.locals['apiCaller'] = {
      key,
      actor: {
        type: 'api_key',
        id: key.id,
        label: key.prefix,
        ip: req.ip ?? null,
        userAgent: req.get('user-agent') ?? null,
      },
    } satisfies ApiCaller;
    next();
  };
}

/** Keys with scope `ingest` may only publish events (POST /events, /events/batch). */
export const requireFullScope: RequestHandler = (_req, res, next) => {
  if (callerOf(res).key.scope !== 'full') {
    throw new ApiError(403, 'forbidden', 'this API key may only publish events (scope: ingest)');
  }
  next();
};
