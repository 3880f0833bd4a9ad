import { Router } from 'express';
import { isId } from '@herald/core';
import { retryDelivery } from '@herald/engine';
import type { ApiDeps } from './api.routes.js';
import { callerOf } from './auth.js';
import { jsonBody, parseWith } from './body.js';
import { notFound } from './errors.js';
import type { RouteGuard } from './guard.js';
import { RetrySchema } from './schemas.js';

export function deliveriesRoutes(deps: ApiDeps, guard: RouteGuard): Router {
  const router = Router();

  router.post(
    '/deliveries/:id/retry',
    ...guard.full,
    ...jsonBody(deps.settings.apiMaxBodyBytes),
    async (req, res) => {
      const id = req.params['id'];
      if (!isId('delivery', id)) throw notFound('delivery');
      parseWith(RetrySchema, req.body ?? {});
      const { key, actor } = callerOf(res);
      await retryDelivery(deps.engine, actor, key.appId, id);
      res.status(202).json({ id, status: 'pending' });
    },
  );

  return router;
}
