import type { Router } from 'express';
import { EVENT_CATALOG_TYPES, NotFoundError, ValidationError, isId, newId } from '@herald/core';
import type { WebhookFormat } from '@herald/db';
import {
  buildEventBody,
  getReplayProgress,
  getWebhook,
  renderDiscord,
  renderSlack,
  renderTelegram,
  sendTestEvent,
  type RenderableEvent,
} from '@herald/engine';
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
import { deliveryPath, webhookIdFromPath } from './deliveries.routes.js';
import { isCatalogType, sampleEventData } from './sample-events.js';
import { FORMATS, webhookPath } from './webhook-detail.routes.js';

/** Seconds between reloads of a replay's progress page while it runs. */
export const REPLAY_REFRESH_SECONDS = 2;

function isFormat(value: string): value is WebhookFormat {
  return FORMATS.some((f) => f.value === value);
}

/** One sample, as the webhook's receiver would get it: text to show escaped, never markup to inject. */
export interface FormatPreview {
  type: string;
  /** The JSON body sent (pretty-printed). */
  body: string;
  /** Telegram: the HTML text as sent, shown as text. */
  text?: string;
}

export function renderPreview(
  format: WebhookFormat,
  event: RenderableEvent,
  options: { appName: string; chatId: string },
): FormatPreview {
  const pretty = (value: unknown) => JSON.stringify(value, null, 2);
  switch (format) {
    case 'discord':
      return { type: event.type, body: pretty(renderDiscord(event, { appName: options.appName })) };
    case 'telegram': {
      const message = renderTelegram(event, { chatId: options.chatId, appName: options.appName });
      return { type: event.type, body: pretty(message), text: message.text };
    }
    case 'slack':
      return { type: event.type, body: pretty(renderSlack(event, { appName: options.appName })) };
    default:
      return { type: event.type, body: pretty(JSON.parse(buildEventBody(event)) as unknown) };
  }
}

/** The webhook page's tools: send a test event, preview the format, follow a replay. */
export function registerWebhookInsightRoutes(router: Router, ctx: PanelContext): void {
  const { engine } = ctx;

  router.post('/apps/:appId/webhooks/:webhookId/test-event', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhookId = webhookIdFromPath(req);
    const back = webhookPath(app.id, webhookId);
    await getWebhook(engine, app.id, webhookId);
    const type = field(req, 'type');
    if (!isCatalogType(type)) {
      setFlash(req, { type: 'error', message: 'Event type: choose one from the catalog.' });
      return redirectAfterSave(req, res, back);
    }
    try {
      const sent = await sendTestEvent(engine, actorOf(req, currentAdmin(res)), app.id, webhookId, {
        type,
        data: sampleEventData(type),
      });
      setFlash(req, {
        type: 'success',
        message:
          sent.status === 'held'
            ? `Test event ${sent.eventId} recorded; it is held until the webhook is enabled.`
            : `Test event ${sent.eventId} queued.`,
        link: { href: deliveryPath(app.id, sent.deliveryId), label: 'View delivery' },
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      setFlash(req, { type: 'error', message: describeValidation(error) });
    }
    await redirectAfterSave(req, res, back);
  });

  router.get('/apps/:appId/webhooks/:webhookId/preview', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhook = await getWebhook(engine, app.id, webhookIdFromPath(req));
    const asked: unknown = req.query['format'];
    if (asked !== undefined && (typeof asked !== 'string' || !isFormat(asked))) {
      res.status(400);
      setFlash(req, { type: 'error', message: 'Format: must be standard, discord, telegram or slack.' });
    }
    const format = typeof asked === 'string' && isFormat(asked) ? asked : webhook.format;
    let chatId = '';
    try {
      chatId = new URL(webhook.url).searchParams.get('chat_id') ?? '';
    } catch {
      chatId = '';
    }
    const timestamp = new Date().toISOString();
    const previews = EVENT_CATALOG_TYPES.map((type) =>
      renderPreview(
        format,
        { id: newId('event'), type, timestamp, data: { ...sampleEventData(type), test: true } },
        { appName: app.name, chatId: chatId || '-1001234567890' },
      ),
    );
    await renderPanel(ctx, req, res, 'webhooks/preview', {
      section: 'webhooks',
      title: 'Format preview',
      currentApp: app,
      webhook,
      format,
      formats: FORMATS,
      previews,
    });
  });

  router.get('/apps/:appId/webhooks/:webhookId/replays/:replayId', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhook = await getWebhook(engine, app.id, webhookIdFromPath(req));
    const replayId = req.params['replayId'];
    if (!isId('replay', replayId)) throw new NotFoundError('replay', String(replayId));
    const progress = await getReplayProgress(engine, app.id, webhook.id, replayId);
    await renderPanel(ctx, req, res, 'webhooks/replay', {
      section: 'webhooks',
      title: progress.done ? 'Replay finished' : 'Replay in progress',
      currentApp: app,
      webhook,
      progress,
      refreshSeconds: progress.done ? undefined : REPLAY_REFRESH_SECONDS,
    });
  });
}
