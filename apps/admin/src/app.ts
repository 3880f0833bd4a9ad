import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from '@herald/logger';
import type { Check } from '@herald/observability';
import { healthRoutes } from './health/health.routes.js';

export interface AdminDeps {
  log: Logger;
  /** Dependency checks behind /readyz (postgres, redis). */
  checks: Record<string, Check>;
  isDraining: () => boolean;
}

/** Builds the admin HTTP app without listening (tests drive it directly). */
export function createApp(deps: AdminDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.use(healthRoutes(deps));

  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: 'not found' } });
  });
  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    deps.log.error({ err: error, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) return;
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  };
  app.use(onError);
  return app;
}
