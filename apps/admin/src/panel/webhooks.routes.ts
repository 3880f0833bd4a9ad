import type { Request, Router } from 'express';
import { NotFoundError, ValidationError, isId } from '@herald/core';
import {
  createWebhook,
  deleteAllWebhooks,
  deleteWebhook,
  listWebhooks,
  proposeFormat,
  setWebhookState,
  type App,
} from '@herald/engine';
import { webhooksPath } from './apps.routes.js';
import {
  actorOf,
  appFromPath,
  currentAdmin,
  describeValidation,
  field,
  redirectAfterSave,
  renderPanel,
  setFlash,
  type PanelContext,
} from './context.js';
import { maskWebhookUrl } from './mask-url.js';

// The page shows every webhook of the app; the engine caps one page at 1,000.
const PAGE_LIMIT = 1000;

function webhookIdFromPath(req: Request): string {
  const id = req.params['webhookId'];
  if (!isId('webhook', id)) throw new NotFoundError('webhook', String(id));
  return id;
}

const FORMAT_NAMES = { discord: 'Discord', telegram: 'Telegram', slack: 'Slack' } as const;

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function registerWebhookRoutes(router: Router, ctx: PanelContext): void {
  const { engine } = ctx;

  router.get('/apps/:appId/webhooks', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const page = await listWebhooks(engine, app.id, { limit: PAGE_LIMIT });
    await renderPanel(ctx, req, res, 'webhooks/index', {
      section: 'webhooks',
      title: 'Webhooks',
      currentApp: app,
      webhooks: page.data,
    });
  });

  router.post('/apps/:appId/webhooks', async (req, res) => {
    const admin = currentAdmin(res);
    const app = await appFromPath(ctx, req);
    const url = field(req, 'url').trim();
    const userAgent = field(req, 'userAgent');
    // The modal asks for the URL only: a Discord, Telegram or Slack URL gets
    // that platform's format (a Standard Webhooks body would be refused there);
    // the webhook's page can change it, since any URL may use any format.
    const format = proposeFormat(url);
    try {
      const created = await createWebhook(engine, actorOf(req, admin), app.id, {
        url,
        format,
        userAgent: userAgent.trim() === '' ? null : userAgent,
      });
      const warning = created.warnings.length > 0 ? ` Note: ${created.warnings.join('; ')}.` : '';
      const formatNote =
        format === 'standard'
          ? ''
          : ` It sends ${FORMAT_NAMES[format]} messages, as its URL suggests (the webhook's page can change that).`;
      setFlash(req, {
        type: 'success',
        message: `Webhook added.${formatNote}${warning}`,
        revealCiphertext: engine.keyring.encrypt(created.secret),
        revealLabel: `Signing secret for ${maskWebhookUrl(created.webhook.url)}`,
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      setFlash(req, { type: 'error', message: describeValidation(error), form: { url, userAgent } });
    }
    await redirectAfterSave(req, res, webhooksPath(app.id));
  });

  router.post('/apps/:appId/webhooks/delete-all', async (req, res) => {
    const app: App = await appFromPath(ctx, req);
    const { deleted } = await deleteAllWebhooks(engine, actorOf(req, currentAdmin(res)), app.id);
    setFlash(req, {
      type: 'success',
      message:
        deleted === 0
          ? 'There were no webhooks to delete.'
          : `Deleted ${plural(deleted, 'webhook', 'webhooks')}.`,
    });
    await redirectAfterSave(req, res, webhooksPath(app.id));
  });

  router.post('/apps/:appId/webhooks/:webhookId/delete', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhookId = webhookIdFromPath(req);
    const { alreadyDeleted } = await deleteWebhook(
      engine,
      actorOf(req, currentAdmin(res)),
      app.id,
      webhookId,
    );
    // A second click, or another admin was quicker: what was asked for is done.
    setFlash(req, {
      type: 'success',
      message: alreadyDeleted ? 'That webhook was already deleted.' : 'Webhook deleted.',
    });
    await redirectAfterSave(req, res, webhooksPath(app.id));
  });

  router.post('/apps/:appId/webhooks/:webhookId/pause', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhookId = webhookIdFromPath(req);
    await setWebhookState(engine, actorOf(req, currentAdmin(res)), app.id, webhookId, 'paused');
    setFlash(req, {
      type: 'success',
      message: 'Webhook paused. New deliveries are held until you resume it.',
    });
    await redirectAfterSave(req, res, webhooksPath(app.id));
  });

  router.post('/apps/:appId/webhooks/:webhookId/resume', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhookId = webhookIdFromPath(req);
    const { released } = await setWebhookState(
      engine,
      actorOf(req, currentAdmin(res)),
      app.id,
      webhookId,
      'enabled',
    );
    setFlash(req, {
      type: 'success',
      message:
        released > 0
          ? `Webhook resumed; ${plural(released, 'held delivery', 'held deliveries')} queued.`
          : 'Webhook resumed.',
    });
    await redirectAfterSave(req, res, webhooksPath(app.id));
  });
}
