import type { Request } from 'express';

/**
 * One query-string parameter for a search form: '' when absent, the
 * trimmed value when it is a single string within `maxLength`, and
 * `invalid` when it is repeated (?a=1&a=2), nested or too long — the page
 * then says so instead of silently ignoring what was asked.
 */
export function searchParam(req: Request, name: string, maxLength: number): string | { invalid: true } {
  const value: unknown = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return '';
  if (typeof value !== 'string' || value.length > maxLength) return { invalid: true };
  return value.trim();
}

export function isInvalid(value: string | { invalid: true }): value is { invalid: true } {
  return typeof value !== 'string';
}

/** A path with the non-empty parameters as its query string. */
export function withQuery(path: string, params: Record<string, string>): string {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '')).toString();
  return qs ? `${path}?${qs}` : path;
}
