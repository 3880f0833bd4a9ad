import { EVENT_CATALOG } from '@herald/core';
import { listPublishedEventTypes } from '@herald/engine';
import { parseCommandArgs, requireOption } from '../args.js';
import { defineCommand } from '../command.js';
import { formatTable } from '../output.js';

/**
 * The event catalog (the same list the panel shows and the webhook filter
 * offers); with --app, also the other types that app has published.
 */
export const eventTypes = defineCommand({
  name: 'event-types',
  parse(args) {
    const { values } = parseCommandArgs('event-types', args, { app: { type: 'string' } });
    return { appId: values.app === undefined ? undefined : requireOption(values.app, 'app') };
  },
  async execute({ appId }, ctx) {
    let published: string[] | undefined;
    if (appId !== undefined) {
      const { db } = await ctx.services();
      published = await listPublishedEventTypes(db, appId);
    }
    const publishedSet = new Set(published ?? []);
    const catalog = EVENT_CATALOG.map((e) => ({
      type: e.type,
      description: e.description,
      example: e.example,
      ...(published ? { published: publishedSet.has(e.type) } : {}),
    }));
    const known = new Set(EVENT_CATALOG.map((e) => e.type));
    const others = published?.filter((t) => !known.has(t));
    ctx.output.result({ catalog, ...(others ? { others } : {}) }, () => {
      const table = formatTable(
        ['type', 'description'],
        catalog.map((e) => [e.type, e.description]),
      );
      return others === undefined
        ? table
        : `${table}\n\nalso published by this app: ${others.length === 0 ? 'none' : others.join(', ')}`;
    });
  },
});
