import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '@herald/core';
import type { Logger } from '@herald/logger';
import { requestIdOf } from '../request-log.js';

/** An answer the API gives on purpose: status, a stable code, a message, maybe details. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Invalid fields that are over a size limit rather than wrong (413, not 422). */
export class TooLargeError extends ApiError {
  constructor(message: string, issues: FieldIssue[]) {
    super(413, 'payload_too_large', message, issues);
  }
}

export function notFound(what = 'resource'): ApiError {
  return new ApiError(404, 'not_found', `${what} not found`);
}

/** Unknown routes under /api/v1 answer JSON, never the panel's HTML. */
export const apiNotFound: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `no route ${req.method} ${req.baseUrl}${req.path}`.slice(0, 300)));
};

// body-parser and Express tag their errors with `type` and `status`.
const BODY_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'malformed_json', 'the request body is not valid JSON'],
  'entity.too.large': [413, 'payload_too_large', 'the request body is over the size limit'],
  'entity.verify.failed': [400, 'bad_request', 'the request body was refused'],
  'charset.unsupported': [415, 'unsupported_media_type', 'the body must be UTF-8 JSON'],
  'encoding.unsupported': [415, 'unsupported_media_type', 'unsupported content encoding'],
  'request.aborted': [400, 'bad_request', 'the request was aborted'],
  'request.size.invalid': [400, 'bad_request', 'the request body length does not match Content-Length'],
  'stream.encoding.set': [500, 'internal', 'internal error'],
};

function describe(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof ValidationError) {
    return new ApiError(422, 'validation_failed', error.message, error.issues);
  }
  if (error instanceof NotFoundError) return new ApiError(404, 'not_found', `${error.resource} not found`);
  if (error instanceof ConflictError) return new ApiError(409, 'conflict', error.message);
  const tagged = error as { type?: unknown; status?: unknown; limit?: unknown } | null;
  if (typeof tagged?.type === 'string' && BODY_ERRORS[tagged.type]) {
    const [status, code, message] = BODY_ERRORS[tagged.type]!;
    const limit = typeof tagged.limit === 'number' ? ` of ${tagged.limit} bytes` : '';
    return new ApiError(status, code, status === 413 ? `${message}${limit}` : message);
  }
  // Express itself (e.g. a path that does not decode) marks client errors with a status.
  if (typeof tagged?.status === 'number' && tagged.status >= 400 && tagged.status < 500) {
    return new ApiError(tagged.status, 'bad_request', 'bad request');
  }
  return undefined;
}

/** The only place an error becomes a response under /api/v1: never a stack trace or a secret. */
export function apiErrorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known = describe(error);
    if (!known || known.status >= 500) {
      log.error(
        { err: error, method: req.method, path: req.path, requestId: requestIdOf(res) },
        'api request failed',
      );
    }
    if (res.headersSent) return;
    const answer = known && known.status < 500 ? known : new ApiError(500, 'internal', 'internal error');
    res.set(answer.headers);
    res.status(answer.status).json({
      error: {
        code: answer.code,
        message: answer.message,
        ...(answer.details === undefined ? {} : { details: answer.details }),
      },
    });
  };
}
