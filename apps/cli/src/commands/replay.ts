import { NotFoundError } from '@herald/core';
import { CLI_ACTOR, findWebhookAppId, replayWebhook, type ReplayStatus } from '@herald/engine';
import { parseChoice, parseCommandArgs, parseIsoTime, requireOption } from '../args.js';
import { defineCommand } from '../command.js';
import { formatFields } from '../output.js';

const REPLAY_STATUSES: readonly ReplayStatus[] = ['dead', 'failed'];

export const replay = defineCommand({
  name: 'replay',
  parse(args) {
    const { values } = parseCommandArgs('replay', args, {
      webhook: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      status: { type: 'string' },
    });
    return {
      webhookId: requireOption(values.webhook, 'webhook'),
      since: parseIsoTime(requireOption(values.since, 'since'), 'since'),
      until: values.until === undefined ? undefined : parseIsoTime(values.until, 'until'),
      status:
        values.status === undefined
          ? undefined
          : parseChoice<ReplayStatus>(values.status, 'status', REPLAY_STATUSES),
    };
  },
  async execute({ webhookId, since, until, status }, ctx) {
    const engine = await ctx.engine();
    const appId = await findWebhookAppId(engine.db, webhookId);
    if (appId === undefined) throw new NotFoundError('webhook', webhookId);
    const bar = ctx.progress('replaying');
    let result: { replayId: string; count: number };
    try {
      result = await replayWebhook(engine, CLI_ACTOR, appId, webhookId, {
        since,
        until,
        status,
        onProgress: (done, total) => bar.update(done, total),
      });
    } finally {
      bar.finish();
    }
    ctx.output.result({ replayed: result.count }, () =>
      formatFields([
        ['replayed', result.count],
        ['replay id', result.replayId],
      ]),
    );
  },
});
