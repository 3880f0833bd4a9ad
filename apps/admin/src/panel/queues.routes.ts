import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { RequestHandler, Router } from 'express';
import type { HeraldQueue } from '@herald/queue';
import type { PanelContext } from './context.js';

export const QUEUES_PATH = '/queues';

// bull-board's page needs a <base href> (relative asset URLs) and sets
// inline styles from its React components, so on /queues only styles may be
// inline; scripts stay 'self' only, as everywhere in the panel. Its Google
// Fonts request stays refused: the board falls back to system fonts and the
// panel dials out to nobody.
const BOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "object-src 'none'",
].join('; ');

/**
 * The queue dashboard: bull-board over the three queues, read-only (no
 * retry, clean, pause or delete: its mutating API answers 405, and the
 * panel's CSRF check refuses any non-GET without the session token before
 * that). Mounted after requireAdmin, so it sits behind the panel's login.
 */
export function registerQueueRoutes(router: Router, ctx: PanelContext): void {
  const { queues } = ctx.engine;
  const all = [queues.events, queues.deliveries, queues.maintenance];
  if (ctx.engine.queue.kind !== 'redis') {
    // bull-board reads Redis directly (INFO, key scans): in Postgres-only mode
    // the dashboard is the job counts per queue, read through BullMQ.
    router.get(QUEUES_PATH, async (_req, res) => {
      const counts = await Promise.all(
        all.map(async (q) => ({ name: q.name, counts: await q.getJobCounts() })),
      );
      res.type('application/json').send(JSON.stringify({ backend: 'postgres', queues: counts }, null, 2));
    });
    return;
  }
  // The Redis backend's queues are plain BullMQ Redis queues (createRedisQueueBackend).
  const redisQueues = all.map((q: HeraldQueue) => q as unknown as Queue);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUES_PATH);
  createBullBoard({
    queues: redisQueues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true, allowRetries: false })),
    serverAdapter,
    options: {
      uiConfig: { boardTitle: 'Herald queues', miscLinks: [{ text: 'Back to the panel', url: '/' }] },
    },
  });
  const boardPolicy: RequestHandler = (_req, res, next) => {
    res.set('Content-Security-Policy', BOARD_CSP);
    next();
  };
  router.use(QUEUES_PATH, boardPolicy, serverAdapter.getRouter() as RequestHandler);
}
