import express, { type RequestHandler } from 'express';
import type { z } from 'zod';
import { ValidationError } from '@herald/core';
import { ApiError, TooLargeError } from './errors.js';
import { isTooLarge, toFieldIssues } from './schemas.js';

const JSON_TYPES = ['application/json', 'application/*+json'];
const CHARSET = /;\s*charset="?([^";\s]+)/i;

function hasBody(headers: Record<string, unknown>): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

/**
 * JSON bodies up to `limitBytes` (413 beyond, before reading it all when
 * Content-Length says so); any other content type is 415. No body at all
 * leaves `req.body` undefined, which each route's schema judges.
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const parse = express.json({ limit: limitBytes, strict: false, type: () => true });
  const parseJson: RequestHandler = (req, res, next) => {
    if (!hasBody(req.headers)) {
      req.body = undefined;
      next();
      return;
    }
    if (!req.is(JSON_TYPES)) {
      throw new ApiError(
        415,
        'unsupported_media_type',
        'the body must be JSON (Content-Type: application/json)',
      );
    }
    const charset = CHARSET.exec(req.get('content-type') ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      throw new ApiError(415, 'unsupported_media_type', 'the body must be UTF-8 JSON');
    }
    parse(req, res, next);
  };
  return [parseJson];
}

/** Parses with a request schema; 422 naming each field, or 413 when only a size limit is broken. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, batchKey?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = toFieldIssues(result.error.issues, batchKey);
  const summary = issues
    .slice(0, 5)
    .map((i) => `${i.index === undefined ? '' : `events[${i.index}].`}${i.field} ${i.message}`)
    .join('; ');
  const message = `invalid request: ${summary}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`;
  if (result.error.issues.some(isTooLarge)) throw new TooLargeError(message, issues);
  throw new ValidationError(message, issues);
}
