import type { Request, Response, Router } from 'express';
import {
  EVENT_CATALOG,
  EVENT_TYPE_PATTERN,
  NotFoundError,
  ValidationError,
  findCatalogEventType,
  isId,
} from '@herald/core';
import {
  getEventWithDeliveries,
  listPublishedEventTypes,
  searchEvents,
  type App,
  type EventSummary,
} from '@herald/engine';
import { appFromPath, describeValidation, renderPanel, type PanelContext } from './context.js';
import { STATUS_FILTERS, parseUtcDateTime } from './deliveries.routes.js';
import { isInvalid, searchParam, withQuery } from './query.js';

export const EVENTS_PAGE_SIZE = 50;

export function eventsPath(appId: string): string {
  return `/apps/${appId}/events`;
}

export function eventPath(appId: string, eventId: string): string {
  return `/apps/${appId}/events/${eventId}`;
}

interface SearchForm {
  id: string;
  type: string;
  since: string;
  until: string;
}

/** What the search form asked for, or the first problem with it (shown above the form, status 400). */
function readSearch(
  req: Request,
):
  | { error: string; form: SearchForm }
  | { form: SearchForm; type?: string; since?: Date; until?: Date; cursor?: string } {
  const raw = {
    id: searchParam(req, 'id', 64),
    type: searchParam(req, 'type', 256),
    since: searchParam(req, 'since', 32),
    until: searchParam(req, 'until', 32),
    cursor: searchParam(req, 'cursor', 64),
  };
  const form: SearchForm = {
    id: isInvalid(raw.id) ? '' : raw.id,
    type: isInvalid(raw.type) ? '' : raw.type,
    since: isInvalid(raw.since) ? '' : raw.since,
    until: isInvalid(raw.until) ? '' : raw.until,
  };
  if (isInvalid(raw.id)) return { error: 'Event ID: too long.', form };
  if (isInvalid(raw.type) || (raw.type !== '' && !EVENT_TYPE_PATTERN.test(raw.type))) {
    return { error: 'Event type: use letters, digits, "_", "." or "-" (at most 256).', form };
  }
  if (isInvalid(raw.since)) return { error: 'From: enter a date and time (UTC).', form };
  if (isInvalid(raw.until)) return { error: 'To: enter a date and time (UTC).', form };
  if (isInvalid(raw.cursor)) return { error: 'That page link is not valid; start from the newest.', form };
  const since = raw.since === '' ? undefined : parseUtcDateTime(raw.since);
  if (raw.since !== '' && !since) return { error: 'From: enter a date and time (UTC).', form };
  const until = raw.until === '' ? undefined : parseUtcDateTime(raw.until);
  if (raw.until !== '' && !until) return { error: 'To: enter a date and time (UTC).', form };
  if (since && until && since.getTime() >= until.getTime()) {
    return { error: 'To: must be after From.', form };
  }
  return {
    form,
    ...(raw.type ? { type: raw.type } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(raw.cursor ? { cursor: raw.cursor } : {}),
  };
}

export function registerEventRoutes(router: Router, ctx: PanelContext): void {
  const { engine } = ctx;

  async function renderSearch(
    req: Request,
    res: Response,
    app: App,
    view: {
      status?: number;
      error?: string;
      form: SearchForm;
      events: EventSummary[];
      nextPageHref: string | null;
      isFirstPage: boolean;
      hasSearched: boolean;
    },
  ): Promise<void> {
    res.status(view.status ?? 200);
    const publishedTypes = await listPublishedEventTypes(engine.db, app.id);
    const typeChoices = [...new Set([...EVENT_CATALOG.map((e) => e.type), ...publishedTypes])];
    await renderPanel(ctx, req, res, 'events/index', {
      section: 'events',
      title: 'Events',
      currentApp: app,
      searchError: view.error,
      search: view.form,
      events: view.events,
      nextPageHref: view.nextPageHref,
      isFirstPage: view.isFirstPage,
      hasSearched: view.hasSearched,
      firstPageHref: withQuery(eventsPath(app.id), { ...view.form, id: '' }),
      typeChoices,
    });
  }

  router.get('/apps/:appId/events', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const search = readSearch(req);
    const empty = { events: [], nextPageHref: null, isFirstPage: true };
    if ('error' in search) {
      return renderSearch(req, res, app, {
        status: 400,
        error: search.error,
        form: search.form,
        hasSearched: true,
        ...empty,
      });
    }
    const { form } = search;
    if (form.id !== '') {
      if (!isId('event', form.id)) {
        return renderSearch(req, res, app, {
          status: 400,
          error: 'Event ID: event ids look like msg_ followed by 26 letters and digits.',
          form,
          hasSearched: true,
          ...empty,
        });
      }
      try {
        await getEventWithDeliveries(engine, app.id, form.id);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        return renderSearch(req, res, app, {
          status: 404,
          error: `No event ${form.id} in ${app.name}. It may belong to another app or be past retention.`,
          form,
          hasSearched: true,
          ...empty,
        });
      }
      return res.redirect(303, eventPath(app.id, form.id));
    }
    try {
      const page = await searchEvents(engine.db, app.id, {
        limit: EVENTS_PAGE_SIZE,
        ...(search.type ? { type: search.type } : {}),
        ...(search.since ? { since: search.since } : {}),
        ...(search.until ? { until: search.until } : {}),
        ...(search.cursor ? { cursor: search.cursor } : {}),
      });
      await renderSearch(req, res, app, {
        form,
        events: page.data,
        nextPageHref: page.nextCursor
          ? withQuery(eventsPath(app.id), { ...form, id: '', cursor: page.nextCursor })
          : null,
        isFirstPage: search.cursor === undefined,
        hasSearched: form.type !== '' || form.since !== '' || form.until !== '',
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const message = error.issues.some((i) => i.field === 'cursor')
        ? 'That page link is not valid; start from the newest.'
        : describeValidation(error);
      await renderSearch(req, res, app, { status: 400, error: message, form, hasSearched: true, ...empty });
    }
  });

  router.get('/apps/:appId/events/:eventId', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const eventId = req.params['eventId'];
    if (!isId('event', eventId)) throw new NotFoundError('event', String(eventId));
    const event = await getEventWithDeliveries(engine, app.id, eventId);
    const webhookIds = [...new Set(event.deliveries.map((d) => d.webhookId))];
    const webhooks = new Map<string, { url: string; isDeleted: boolean }>();
    if (webhookIds.length > 0) {
      const rows = await engine.db
        .selectFrom('webhooks')
        .select(['id', 'url', 'deleted_at'])
        .where('app_id', '=', app.id)
        .where('id', 'in', webhookIds)
        .execute();
      for (const row of rows) webhooks.set(row.id, { url: row.url, isDeleted: row.deleted_at !== null });
    }
    await renderPanel(ctx, req, res, 'events/show', {
      section: 'events',
      title: `Event ${event.type}`,
      currentApp: app,
      event,
      catalogEntry: findCatalogEventType(event.type),
      payloadJson: event.data === null ? null : JSON.stringify(event.data, null, 2),
      webhooks,
      statusFilters: STATUS_FILTERS,
    });
  });
}
