import type { RequestHandler } from 'express';

/** Middleware chains a route starts with: which keys may call it. */
export interface RouteGuard {
  /** Any live key of the app (full or ingest scope). */
  ingest: RequestHandler[];
  /** Keys with scope `full` only; `ingest` keys get 403. */
  full: RequestHandler[];
}
