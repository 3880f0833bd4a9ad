import { CLI_ACTOR, createApiKey } from '@herald/engine';
import { parseCommandArgs, requireOption } from '../args.js';
import { defineCommand } from '../command.js';
import { formatFields } from '../output.js';

export const keyCreate = defineCommand({
  name: 'key create',
  parse(args) {
    const { values } = parseCommandArgs('key create', args, {
      app: { type: 'string' },
      name: { type: 'string' },
    });
    return { appId: requireOption(values.app, 'app'), name: values.name };
  },
  async execute({ appId, name }, ctx) {
    const { db } = await ctx.services();
    const key = await createApiKey(db, CLI_ACTOR, { appId, ...(name === undefined ? {} : { name }) });
    ctx.output.result({ id: key.id, appId: key.appId, prefix: key.prefix, key: key.key }, () =>
      formatFields([
        ['id', key.id],
        ['app', key.appId],
        ['name', key.name || undefined],
        ['prefix', key.prefix],
        ['key', key.key],
      ]),
    );
    if (!ctx.output.isJson)
      ctx.output.note('Store the key now: Herald keeps only its hash and cannot show it again.');
  },
});
