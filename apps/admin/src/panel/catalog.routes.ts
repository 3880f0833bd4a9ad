import type { Router } from 'express';
import { EVENT_CATALOG, findCatalogEventType } from '@herald/core';
import { MAX_PUBLISHED_TYPES, listPublishedEventTypes } from '@herald/engine';
import { appFromPath, renderPanel, type PanelContext } from './context.js';

export function catalogPath(appId: string): string {
  return `/apps/${appId}/event-types`;
}

export function registerCatalogRoutes(router: Router, ctx: PanelContext): void {
  router.get('/apps/:appId/event-types', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const published = await listPublishedEventTypes(ctx.engine.db, app.id);
    const publishedSet = new Set(published);
    await renderPanel(ctx, req, res, 'events/catalog', {
      section: 'event-types',
      title: 'Event types',
      currentApp: app,
      catalog: EVENT_CATALOG.map((entry) => ({
        ...entry,
        isPublished: publishedSet.has(entry.type),
        exampleJson: JSON.stringify(entry.example, null, 2),
      })),
      // Types this app publishes that the catalog does not describe.
      others: published.filter((type) => !findCatalogEventType(type)),
      isTruncated: published.length >= MAX_PUBLISHED_TYPES,
    });
  });
}
