import type { Request, Router } from 'express';
import { ConflictError, NotFoundError, ValidationError, isId, utcDate } from '@herald/core';
import {
  getDeliveryWithAttempts,
  getEventTypes,
  getWebhook,
  listDeliveries,
  replayWebhook,
  retryDelivery,
  type App,
  type Webhook,
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

export const DELIVERIES_PAGE_SIZE = 50;

/** The filter's choices, in the order the select shows them. */
export const STATUS_FILTERS = [
  { value: 'pending', label: 'Pending' },
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'failed', label: 'Failed (retrying)' },
  { value: 'dead', label: 'Dead letters' },
  { value: 'held', label: 'Held' },
  { value: 'cancelled', label: 'Cancelled' },
] as const;

export function webhookDeliveriesPath(appId: string, webhookId: string): string {
  return `/apps/${appId}/webhooks/${webhookId}/deliveries`;
}

/** The page that follows one replay's deliveries. */
export function replayProgressPath(appId: string, webhookId: string, replayId: string): string {
  return `/apps/${appId}/webhooks/${webhookId}/replays/${replayId}`;
}

export function deliveryPath(appId: string, deliveryId: string): string {
  return `/apps/${appId}/deliveries/${deliveryId}`;
}

export function webhookIdFromPath(req: Request): string {
  const id = req.params['webhookId'];
  if (!isId('webhook', id)) throw new NotFoundError('webhook', String(id));
  return id;
}

function deliveryIdFromPath(req: Request): string {
  const id = req.params['deliveryId'];
  if (!isId('delivery', id)) throw new NotFoundError('delivery', String(id));
  return id;
}

function query(req: Request, name: string): string {
  const value: unknown = (req.query as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

/** `YYYY-MM-DDTHH:mm[:ss]` from a datetime-local input, read as UTC (the panel shows UTC everywhere). */
export function parseUtcDateTime(value: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Roll-overs such as 31 February are no date.
  return utcDate(y, mo, d, h, mi, Number.isNaN(s) ? 0 : s);
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function registerDeliveryRoutes(router: Router, ctx: PanelContext): void {
  const { engine } = ctx;

  async function renderList(
    req: Request,
    res: Parameters<typeof renderPanel>[2],
    app: App,
    webhook: Webhook | undefined,
  ): Promise<void> {
    const rawStatus = query(req, 'status');
    const status = STATUS_FILTERS.some((s) => s.value === rawStatus) ? rawStatus : '';
    const rawCursor = query(req, 'cursor');
    const cursor = isId('delivery', rawCursor) ? rawCursor : undefined;
    const page = await listDeliveries(
      engine,
      {
        appId: app.id,
        ...(webhook ? { webhookId: webhook.id } : {}),
        ...(status ? { status } : {}),
      },
      { limit: DELIVERIES_PAGE_SIZE, ...(cursor ? { cursor } : {}) },
    );
    const eventTypes = await getEventTypes(
      engine,
      app.id,
      page.data.map((d) => d.eventId),
    );
    // The app-wide page names each row's webhook (masked in the view).
    const webhookIds = [...new Set(page.data.map((d) => d.webhookId))];
    const webhookUrls = new Map<string, string>();
    if (!webhook && webhookIds.length > 0) {
      const rows = await engine.db
        .selectFrom('webhooks')
        .select(['id', 'url'])
        .where('app_id', '=', app.id)
        .where('id', 'in', webhookIds)
        .execute();
      for (const row of rows) webhookUrls.set(row.id, row.url);
    }
    const basePath = webhook ? webhookDeliveriesPath(app.id, webhook.id) : `/apps/${app.id}/deliveries`;
    const withQuery = (params: Record<string, string>): string => {
      const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '')).toString();
      return qs ? `${basePath}?${qs}` : basePath;
    };
    await renderPanel(ctx, req, res, 'deliveries/index', {
      section: webhook ? 'webhooks' : 'deliveries',
      title: 'Deliveries',
      currentApp: app,
      webhook,
      deliveries: page.data,
      total: page.total,
      status,
      statusFilters: STATUS_FILTERS,
      isFirstPage: cursor === undefined,
      firstPageHref: withQuery({ status }),
      nextPageHref: page.nextCursor ? withQuery({ status, cursor: page.nextCursor }) : null,
      eventTypes,
      webhookUrls,
      basePath,
    });
  }

  router.get('/apps/:appId/deliveries', async (req, res) => {
    const app = await appFromPath(ctx, req);
    await renderList(req, res, app, undefined);
  });

  router.get('/apps/:appId/webhooks/:webhookId/deliveries', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhook = await getWebhook(engine, app.id, webhookIdFromPath(req));
    await renderList(req, res, app, webhook);
  });

  router.get('/apps/:appId/deliveries/:deliveryId', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const delivery = await getDeliveryWithAttempts(engine, app.id, deliveryIdFromPath(req));
    await renderPanel(ctx, req, res, 'deliveries/show', {
      section: 'deliveries',
      title: 'Delivery',
      currentApp: app,
      delivery,
      statusFilters: STATUS_FILTERS,
    });
  });

  router.post('/apps/:appId/deliveries/:deliveryId/retry', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const deliveryId = deliveryIdFromPath(req);
    try {
      await retryDelivery(engine, actorOf(req, currentAdmin(res)), app.id, deliveryId);
      setFlash(req, { type: 'success', message: 'Delivery queued for another attempt.' });
    } catch (error) {
      if (error instanceof ConflictError) {
        setFlash(req, { type: 'error', message: `Retry refused: ${error.message}.` });
      } else {
        if (!(error instanceof ValidationError)) throw error;
        setFlash(req, { type: 'error', message: `Retry refused: ${describeValidation(error)}` });
      }
    }
    await redirectAfterSave(req, res, deliveryPath(app.id, deliveryId));
  });

  router.post('/apps/:appId/webhooks/:webhookId/replay', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhookId = webhookIdFromPath(req);
    // A 404 for another app's webhook comes before any validation message.
    await getWebhook(engine, app.id, webhookId);
    const sinceText = field(req, 'since');
    const onlyDead = field(req, 'onlyDead') === '1';
    const back = webhookDeliveriesPath(app.id, webhookId);
    const since = parseUtcDateTime(sinceText);
    if (!since) {
      setFlash(req, { type: 'error', message: 'Since: enter a date and time (UTC).' });
      return redirectAfterSave(req, res, back);
    }
    if (since.getTime() > Date.now()) {
      setFlash(req, { type: 'error', message: 'Since: must be in the past.' });
      return redirectAfterSave(req, res, back);
    }
    try {
      const { count, replayId } = await replayWebhook(
        engine,
        actorOf(req, currentAdmin(res)),
        app.id,
        webhookId,
        { since, ...(onlyDead ? { status: 'dead' as const } : {}) },
      );
      setFlash(req, {
        type: 'success',
        message:
          count === 0
            ? `Nothing to replay: no ${onlyDead ? 'dead letters' : 'finished deliveries'} since then.`
            : `Replaying ${plural(count, 'delivery', 'deliveries')}.`,
      });
      // Its progress page follows the replayed deliveries until none is left pending.
      if (count > 0)
        return await redirectAfterSave(req, res, replayProgressPath(app.id, webhookId, replayId));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      setFlash(req, { type: 'error', message: describeValidation(error) });
    }
    await redirectAfterSave(req, res, back);
  });
}
