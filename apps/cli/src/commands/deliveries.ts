import { NotFoundError } from '@herald/core';
import { findWebhookAppId, listDeliveries } from '@herald/engine';
import { DELIVERY_STATUSES } from '@herald/db';
import { parseChoice, parseCommandArgs, parsePositiveInteger, requireOption } from '../args.js';
import { defineCommand } from '../command.js';
import { formatTable } from '../output.js';

export const deliveries = defineCommand({
  name: 'deliveries',
  parse(args) {
    const { values } = parseCommandArgs('deliveries', args, {
      webhook: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
    });
    return {
      webhookId: requireOption(values.webhook, 'webhook'),
      status:
        values.status === undefined ? undefined : parseChoice(values.status, 'status', DELIVERY_STATUSES),
      limit: values.limit === undefined ? undefined : parsePositiveInteger(values.limit, 'limit'),
    };
  },
  async execute({ webhookId, status, limit }, ctx) {
    const engine = await ctx.engine();
    const appId = await findWebhookAppId(engine.db, webhookId);
    if (appId === undefined) throw new NotFoundError('webhook', webhookId);
    const page = await listDeliveries(
      engine,
      { appId, webhookId, ...(status === undefined ? {} : { status }) },
      limit === undefined ? {} : { limit },
    );
    const rows = page.data.map((d) => ({
      id: d.id,
      eventId: d.eventId,
      webhookId: d.webhookId,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: d.nextAttemptAt,
    }));
    ctx.output.result({ deliveries: rows, total: page.total, nextCursor: page.nextCursor }, () => {
      if (rows.length === 0) return `no deliveries (total ${page.total})`;
      const table = formatTable(
        ['ID', 'EVENT', 'STATUS', 'ATTEMPTS', 'NEXT ATTEMPT'],
        rows.map((r) => [r.id, r.eventId, r.status, r.attempts, r.nextAttemptAt]),
      );
      return `${table}\n${rows.length} of ${page.total} deliver${page.total === 1 ? 'y' : 'ies'}`;
    });
  },
});
