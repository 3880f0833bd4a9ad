import { Router, type RequestHandler } from 'express';
import type { Engine } from '@herald/engine';
import type { Logger } from '@herald/logger';
import type { HeraldMetrics } from '@herald/observability';
import type { AdminSettings } from '../settings.js';
import { createAuthenticate, requireFullScope } from './auth.js';
import { deliveriesRoutes } from './deliveries.routes.js';
import { apiErrorHandler, apiNotFound } from './errors.js';
import { eventsRoutes } from './events.routes.js';
import type { RouteGuard } from './guard.js';
import { buildOpenApiDocument } from './openapi.js';
import { createRateLimiter } from './rate-limit.js';
import { webhooksRoutes } from './webhooks.routes.js';

export interface ApiDeps {
  engine: Engine;
  settings: AdminSettings;
  log: Logger;
  /** Counts events the API publishes (idempotent repeats excluded). */
  metrics?: Pick<HeraldMetrics, 'eventsPublished'>;
}

// Responses may carry secrets (create, rotate): never cached, never sniffed.
const apiHeaders: RequestHandler = (_req, res, next) => {
  res.set({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  next();
};

/**
 * The JSON API under /api/v1 (DESIGN §7): Bearer API keys only, each acting
 * on its own app; errors are always `{"error":{"code","message","details?"}}`.
 */
export function createApiRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(apiHeaders);

  let openApi: string | undefined;
  router.get('/openapi.json', (_req, res) => {
    openApi ??= JSON.stringify(buildOpenApiDocument());
    res.type('application/json').send(openApi);
  });

  const limiter = createRateLimiter(deps.engine.shared.limits, deps.settings.apiRateLimitPerSecond);
  const authenticate = createAuthenticate({ engine: deps.engine, log: deps.log, limiter });
  const guard: RouteGuard = { ingest: [authenticate], full: [authenticate, requireFullScope] };

  router.use(eventsRoutes(deps, guard));
  router.use(webhooksRoutes(deps, guard));
  router.use(deliveriesRoutes(deps, guard));
  router.use(apiNotFound);
  router.use(apiErrorHandler(deps.log));
  return router;
}
