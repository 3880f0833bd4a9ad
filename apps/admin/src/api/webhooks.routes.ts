import { Router, type Request, type Response } from 'express';
import { NotFoundError, isId } from '@herald/core';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  replayWebhook,
  rotateWebhookSecret,
  setWebhookState,
  updateWebhook,
  type Webhook,
} from '@herald/engine';
import type { ApiDeps } from './api.routes.js';
import { callerOf } from './auth.js';
import { jsonBody, parseWith } from './body.js';
import { notFound } from './errors.js';
import type { RouteGuard } from './guard.js';
import { presentWebhook } from './present.js';
import {
  ListQuerySchema,
  ReplaySchema,
  RotateSecretSchema,
  WebhookCreateSchema,
  WebhookUpdateSchema,
} from './schemas.js';

function webhookId(req: Request): string {
  const id = req.params['id'];
  // Malformed ids cannot exist: 404 without a query.
  if (!isId('webhook', id)) throw notFound('webhook');
  return id;
}

/**
 * A URL accepted with a warning (its host does not resolve yet: checked again
 * at connect time) says so in a `Warning: 299` header, beside the unchanged
 * webhook object.
 */
function warn(res: Response, warnings: readonly string[]): void {
  if (warnings.length === 0) return;
  const quoted = warnings.map((w) => `299 herald "${w.replace(/[^\x20-\x7e]|["\\]/g, '')}"`);
  res.set('Warning', quoted.join(', '));
}

export function webhooksRoutes(deps: ApiDeps, guard: RouteGuard): Router {
  const router = Router();
  const { engine, log } = deps;
  const body = jsonBody(deps.settings.apiMaxBodyBytes);

  router.get('/webhooks', ...guard.full, async (req, res) => {
    const query = parseWith(ListQuerySchema, req.query);
    const page = await listWebhooks(engine, callerOf(res).key.appId, query);
    res.json({ data: page.data.map(presentWebhook), nextCursor: page.nextCursor });
  });

  router.post('/webhooks', ...guard.full, ...body, async (req, res) => {
    const { key, actor } = callerOf(res);
    const { enabled, ...input } = parseWith(WebhookCreateSchema, req.body);
    // Created paused in the same write: no event in between reaches it.
    const created = await createWebhook(engine, actor, key.appId, input, { paused: enabled === false });
    const webhook: Webhook = created.webhook;
    if (created.warnings.length > 0)
      log.info({ webhookId: webhook.id, warnings: created.warnings }, 'webhook url warning');
    warn(res, created.warnings);
    res
      .status(201)
      .location(`${req.baseUrl}/webhooks/${webhook.id}`)
      .json({ ...presentWebhook(webhook), secret: created.secret });
  });

  router.get('/webhooks/:id', ...guard.full, async (req, res) => {
    res.json(presentWebhook(await getWebhook(engine, callerOf(res).key.appId, webhookId(req))));
  });

  router.patch('/webhooks/:id', ...guard.full, ...body, async (req, res) => {
    const { key, actor } = callerOf(res);
    const id = webhookId(req);
    const { enabled, ...input } = parseWith(WebhookUpdateSchema, req.body);
    let webhook: Webhook;
    if (Object.keys(input).length > 0) {
      const updated = await updateWebhook(engine, actor, key.appId, id, input);
      webhook = updated.webhook;
      warn(res, updated.warnings);
    } else {
      webhook = await getWebhook(engine, key.appId, id);
    }
    if (enabled !== undefined && enabled !== webhook.enabled) {
      // Enabling also releases the deliveries held while it was paused or disabled.
      webhook = (await setWebhookState(engine, actor, key.appId, id, enabled ? 'enabled' : 'paused')).webhook;
    }
    res.json(presentWebhook(webhook));
  });

  router.delete('/webhooks/:id', ...guard.full, async (req, res) => {
    const { key, actor } = callerOf(res);
    const id = webhookId(req);
    // The API keeps answering 404 for a webhook that is gone, deleted by this request's twin or not.
    if ((await deleteWebhook(engine, actor, key.appId, id)).alreadyDeleted)
      throw new NotFoundError('webhook', id);
    res.status(204).end();
  });

  router.post('/webhooks/:id/rotate-secret', ...guard.full, ...body, async (req, res) => {
    const { key, actor } = callerOf(res);
    const id = webhookId(req);
    const options = parseWith(RotateSecretSchema, req.body ?? {});
    const rotated = await rotateWebhookSecret(engine, actor, key.appId, id, options);
    res.json({ ...presentWebhook(rotated.webhook), secret: rotated.secret });
  });

  router.post('/webhooks/:id/replay', ...guard.full, ...body, async (req, res) => {
    const { key, actor } = callerOf(res);
    const id = webhookId(req);
    const options = parseWith(ReplaySchema, req.body);
    const result = await replayWebhook(engine, actor, key.appId, id, {
      since: new Date(options.since),
      until: options.until === undefined ? undefined : new Date(options.until),
      status: options.status,
    });
    res.status(202).json(result);
  });

  return router;
}
