import { fileURLToPath } from 'node:url';
import express, { Router, type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { NotFoundError } from '@herald/core';
import type { Engine } from '@herald/engine';
import type { Logger } from '@herald/logger';
import { requestIdOf } from '../request-log.js';
import type { AdminSettings } from '../settings.js';
import { findAdminById } from './admin-state.repository.js';
import { registerAdminRoutes } from './admins.routes.js';
import { registerApiKeyRoutes } from './api-keys.routes.js';
import { registerAppRoutes } from './apps.routes.js';
import { registerAuditRoutes } from './audit.routes.js';
import { registerAuthRoutes } from './auth.routes.js';
import { registerCatalogRoutes } from './catalog.routes.js';
import { registerDeliveryRoutes } from './deliveries.routes.js';
import type { PanelContext } from './context.js';
import { requireCsrfToken } from './csrf.js';
import { registerEventRoutes } from './events.routes.js';
import { LoginRateLimit } from './login-rate-limit.js';
import { registerQueueRoutes } from './queues.routes.js';
import { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, createSessionMiddleware } from './session.js';
import { PostgresSessionStore } from './session-store.js';
import { registerWebhookDetailRoutes } from './webhook-detail.routes.js';
import { registerWebhookInsightRoutes } from './webhook-insights.routes.js';
import { registerWebhookRoutes } from './webhooks.routes.js';

export interface PanelDeps {
  engine: Engine;
  settings: AdminSettings;
  log: Logger;
}

export const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));
export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

export const LOGIN_MAX_ATTEMPTS = 5;
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;

// The API, health and metrics answer JSON or text of their own; the panel's
// session, CSP and HTML error pages stay out of their way.
const NOT_PANEL = /^\/(?:api|metrics|livez|readyz)(?:\/|$)/;

/** Lets the admin app render the panel's EJS views. */
export function configurePanelViews(app: Express): void {
  app.set('views', VIEWS_DIR);
  app.set('view engine', 'ejs');
}

function errorPage(status: number): { title: string; message: string } {
  switch (status) {
    case 403:
      return {
        title: 'Request refused',
        message: 'This form has expired. Go back, reload the page and try again.',
      };
    case 404:
      return { title: 'Page not found', message: 'There is nothing here, or it belongs to another app.' };
    case 413:
      return { title: 'Too large', message: 'What you sent is larger than this form accepts.' };
    default:
      return status < 500
        ? { title: 'Bad request', message: 'The panel could not understand that request.' }
        : {
            title: 'Something went wrong',
            message: 'The panel could not finish that. Try again in a moment.',
          };
  }
}

/** The server-rendered admin panel (DESIGN §6 and §7 "Admin panel"). */
export function createPanelRouter(deps: PanelDeps): Router {
  const { engine, settings, log } = deps;
  const isProduction = settings.nodeEnv === 'production';
  const store = new PostgresSessionStore(engine.db, {
    idleMs: IDLE_TIMEOUT_MS,
    absoluteMs: ABSOLUTE_TIMEOUT_MS,
  });
  const ctx: PanelContext = {
    engine,
    settings,
    log,
    store,
    loginRateLimit: new LoginRateLimit({
      limits: engine.shared.limits,
      keyPrefix: 'login:',
      maxAttempts: LOGIN_MAX_ATTEMPTS,
      windowMs: LOGIN_WINDOW_MS,
    }),
  };
  const router = Router();

  router.use((req, _res, next) => (NOT_PANEL.test(req.path) ? next('router') : next()));
  router.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        // No inline script or style anywhere: every script and sheet is a file under /static.
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
          ...(isProduction ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: isProduction,
    }),
  );
  router.use('/static', express.static(PUBLIC_DIR, { index: false, maxAge: isProduction ? '1h' : 0 }));
  router.use((_req, res, next) => {
    // Pages show secrets once and state that changes; nothing is worth caching.
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 50 }));
  router.use(createSessionMiddleware(settings, store));

  const renderError =
    (status: number): RequestHandler =>
    (_req, res) => {
      res.status(status).render('errors/error', { status, ...errorPage(status) });
    };
  router.use(requireCsrfToken(renderError(403)));

  registerAuthRoutes(router, ctx);

  const requireAdmin: RequestHandler = async (req, res, next) => {
    const adminId = req.session.adminId;
    const admin = adminId ? await findAdminById(engine.db, adminId) : undefined;
    if (!admin) return res.redirect(303, '/login');
    res.locals['admin'] = admin;
    next();
  };
  router.use(requireAdmin);

  registerAppRoutes(router, ctx);
  registerWebhookRoutes(router, ctx);
  registerWebhookDetailRoutes(router, ctx);
  registerWebhookInsightRoutes(router, ctx);
  registerDeliveryRoutes(router, ctx);
  registerApiKeyRoutes(router, ctx);
  registerEventRoutes(router, ctx);
  registerCatalogRoutes(router, ctx);
  registerAuditRoutes(router, ctx);
  registerAdminRoutes(router, ctx);
  registerQueueRoutes(router, ctx);

  router.use(renderError(404));

  const onError: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    let status = 500;
    if (error instanceof NotFoundError) status = 404;
    else {
      const declared = (error as { status?: unknown } | null)?.status;
      if (typeof declared === 'number' && declared >= 400 && declared < 500) status = declared;
    }
    if (status === 500) {
      log.error(
        { err: error, method: req.method, path: req.path, requestId: requestIdOf(res) },
        'panel request failed',
      );
    }
    res.status(status).render('errors/error', { status, ...errorPage(status) });
  };
  router.use(onError);
  return router;
}
