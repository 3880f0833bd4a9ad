import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '@herald/logger';

/** A caller's own `X-Request-Id` is kept when it is this plain; anything else gets a fresh UUID. */
const CALLER_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Probes and static files: no access line (they would drown the rest). */
const QUIET = /^\/(livez|readyz|metrics|static\/)/;

/** This request's id (set by `requestLog`), for log lines about it. */
export function requestIdOf(res: Response): string | undefined {
  return res.locals['requestId'] as string | undefined;
}

/**
 * Gives every request an id (the caller's `X-Request-Id` when sane, else a
 * UUID), echoes it in the `X-Request-Id` response header, and logs one line
 * per request when the answer is sent: method, path without the query string
 * (queries are never logged), status, duration and the id. Bodies and headers
 * are never logged.
 */
export function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const requestId = given !== undefined && CALLER_ID.test(given) ? given : randomUUID();
    res.locals['requestId'] = requestId;
    res.set('x-request-id', requestId);
    const started = performance.now();
    const path = req.originalUrl.split('?', 1)[0] ?? '';
    res.on('finish', () => {
      if (QUIET.test(path)) return;
      log.info(
        {
          requestId,
          method: req.method,
          path,
          status: res.statusCode,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
        },
        'request',
      );
    });
    next();
  };
}
