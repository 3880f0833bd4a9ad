import { Router } from 'express';
import { checkReadiness, type Check } from '@herald/observability';

export function healthRoutes(deps: { checks: Record<string, Check>; isDraining: () => boolean }): Router {
  const router = Router();
  router.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await checkReadiness(deps.checks, { isDraining: deps.isDraining });
    res
      .status(report.ready ? 200 : 503)
      .json({ status: report.ready ? 'ok' : 'unavailable', checks: report.checks });
  });
  return router;
}
