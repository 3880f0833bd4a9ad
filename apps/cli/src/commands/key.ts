import { CLI_ACTOR, createApiKey } from '@herald/engine';
import { parseCommandArgs, requireOption } from '../args.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';
import { formatFields } from '../output.js';

const SCOPES = ['full', 'ingest'] as const;
type Scope = (typeof SCOPES)[number];

function parseScope(value: string | undefined): Scope {
  if (value === undefined) return 'full';
  const scope = SCOPES.find((s) => s === value.trim());
  if (!scope) throw new UsageError(`--scope must be full or ingest, not ${JSON.stringify(value)}`);
  return scope;
}

export const keyCreate = defineCommand({
  name: 'key create',
  parse(args) {
    const { values } = parseCommandArgs('key create', args, {
      app: { type: 'string' },
      name: { type: 'string' },
      scope: { type: 'string' },
    });
    return { appId: requireOption(values.app, 'app'), name: values.name, scope: parseScope(values.scope) };
  },
  async execute({ appId, name, scope }, ctx) {
    const { db } = await ctx.services();
    const key = await createApiKey(db, CLI_ACTOR, { appId, scope, ...(name === undefined ? {} : { name }) });
    ctx.output.result({ id: key.id, appId: key.appId, prefix: key.prefix, key: key.key }, () =>
      formatFields([
        ['id', key.id],
        ['app', key.appId],
        ['name', key.name || undefined],
        ['scope', key.scope === 'ingest' ? 'ingest (may only publish events)' : 'full'],
        ['prefix', key.prefix],
        ['key', key.key],
      ]),
    );
    if (!ctx.output.isJson)
      ctx.output.note('Store the key now: Herald keeps only its hash and cannot show it again.');
  },
});
