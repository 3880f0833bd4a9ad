import { WEBHOOK_FORMATS } from '@herald/db';
import {
  CLI_ACTOR,
  MAX_RATE_LIMIT_PER_SECOND,
  createWebhook,
  toPublicWebhook,
  type WebhookInput,
} from '@herald/engine';
import {
  parseCommandArgs,
  parseHeaderOptions,
  parseListOption,
  parseChoice,
  parsePositiveInteger,
  requireOption,
} from '../args.js';
import { defineCommand } from '../command.js';
import { formatFields } from '../output.js';

export const webhookAdd = defineCommand({
  name: 'webhook add',
  parse(args) {
    const { values } = parseCommandArgs('webhook add', args, {
      app: { type: 'string' },
      url: { type: 'string' },
      events: { type: 'string' },
      format: { type: 'string' },
      'user-agent': { type: 'string' },
      description: { type: 'string' },
      header: { type: 'string', multiple: true },
      'rate-limit': { type: 'string' },
    });
    const input: WebhookInput = { url: requireOption(values.url, 'url') };
    if (values.events !== undefined) input.events = parseListOption(values.events);
    if (values.format !== undefined) input.format = parseChoice(values.format, 'format', WEBHOOK_FORMATS);
    if (values['user-agent'] !== undefined) input.userAgent = values['user-agent'];
    if (values.description !== undefined) input.description = values.description;
    if (values.header !== undefined) input.headers = parseHeaderOptions(values.header);
    if (values['rate-limit'] !== undefined) {
      input.rateLimitPerSecond = parsePositiveInteger(
        values['rate-limit'],
        'rate-limit',
        MAX_RATE_LIMIT_PER_SECOND,
      );
    }
    return { appId: requireOption(values.app, 'app'), input };
  },
  async execute({ appId, input }, ctx) {
    const engine = await ctx.engine();
    const { webhook, secret, warnings } = await createWebhook(engine, CLI_ACTOR, appId, input);
    for (const warning of warnings) ctx.output.note(`warning: ${warning}`);
    ctx.output.result({ ...toPublicWebhook(webhook), secret }, () =>
      formatFields([
        ['id', webhook.id],
        ['url', webhook.url],
        ['description', webhook.description || undefined],
        ['events', webhook.events.length > 0 ? webhook.events : 'all'],
        ['format', webhook.format],
        ['user agent', webhook.userAgent],
        ['headers', webhook.headers],
        ['rate limit', webhook.rateLimitPerSecond === null ? 'none' : `${webhook.rateLimitPerSecond}/s`],
        ['enabled', webhook.enabled],
        ['created', webhook.createdAt],
        ['secret', secret],
      ]),
    );
    if (!ctx.output.isJson) {
      ctx.output.note(
        'Store the secret now (receivers verify signatures with it); later only the admin panel reveals it.',
      );
    }
  },
});
