import { CLI_ACTOR, createApp, parseAppName } from '@herald/engine';
import { parseCommandArgs } from '../args.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';
import { formatFields } from '../output.js';

export const appCreate = defineCommand({
  name: 'app create',
  parse(args) {
    const { positionals } = parseCommandArgs('app create', args, {}, 1);
    const name = positionals[0];
    if (name === undefined) throw new UsageError('missing <name>: herald app create <name>');
    return { name: parseAppName(name) };
  },
  async execute({ name }, ctx) {
    const { db } = await ctx.services();
    const app = await createApp(db, CLI_ACTOR, { name });
    ctx.output.result({ id: app.id, name: app.name, createdAt: app.createdAt }, () =>
      formatFields([
        ['id', app.id],
        ['name', app.name],
        ['created', app.createdAt],
      ]),
    );
  },
});
