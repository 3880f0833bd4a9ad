import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Engine } from '@herald/engine';
import type { Logger } from '@herald/logger';
import { metricsHandler, type Check, type HeraldMetrics } from '@herald/observability';
import { createApiRouter } from './api/api.routes.js';
import { healthRoutes } from './health/health.routes.js';
import { configurePanelViews, createPanelRouter } from './panel/panel.routes.js';
import { requestIdOf, requestLog } from './request-log.js';
import type { AdminSettings } from './settings.js';

export interface AdminDeps {
  log: Logger;
  /** Dependency checks behind /readyz (postgres, redis). */
  checks: Record<string, Check>;
  isDraining: () => boolean;
  /** The library the API and the panel call; health-only tests leave it out. */
  engine?: Engine;
  settings?: AdminSettings;
  /** Served on /metrics (behind settings.metricsToken when set); the API counts published events. */
  metrics?: HeraldMetrics;
}

/** Builds the admin HTTP app without listening (tests drive it directly). */
export function createApp(deps: AdminDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // One hop when configured (HERALD_TRUST_PROXY), else the socket's own address and scheme.
  app.set('trust proxy', deps.settings?.trustProxy ? 1 : false);
  app.use(requestLog(deps.log));

  app.use(healthRoutes(deps));
  if (deps.metrics) {
    // Before the panel, whose 404 would otherwise answer it.
    const serveMetrics = metricsHandler(deps.metrics.registry, deps.settings?.metricsToken);
    app.get('/metrics', (req, res) => serveMetrics(req, res));
  }
  if (deps.engine && deps.settings) {
    const routerDeps = {
      engine: deps.engine,
      settings: deps.settings,
      log: deps.log,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    };
    // The API answers JSON only (its own 404 and error handler) and ignores cookies.
    app.use('/api/v1', createApiRouter(routerDeps));
    configurePanelViews(app);
    app.use(createPanelRouter(routerDeps));
  }

  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: 'not found' } });
  });
  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    deps.log.error(
      { err: error, method: req.method, path: req.path, requestId: requestIdOf(res) },
      'request failed',
    );
    if (res.headersSent) return;
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  };
  app.use(onError);
  return app;
}
