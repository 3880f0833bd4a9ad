import { readFile } from 'node:fs/promises';
import type { Herald } from '@herald/client';
import { ValidationError, checkEventInput, type EventInput } from '@herald/core';
import { getApp } from '@herald/engine';
import { parseCommandArgs, parseJsonOption, requireOption } from '../args.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { CliError, UsageError, toCliError } from '../errors.js';
import { parseEventLines } from '../ndjson.js';
import { formatFields } from '../output.js';
import { readAll } from '../stdin.js';

/** Events per `publishBatch` call: one Redis pipeline each. */
export const PUBLISH_CHUNK = 500;
// Human output lists ids only up to this many; --json always has them all.
const MAX_LISTED_IDS = 20;

type PublishInput =
  { appId: string; event: EventInput; file?: undefined } | { appId: string; file: string; event?: undefined };

export const publish = defineCommand({
  name: 'publish',
  parse(args): PublishInput {
    const { values } = parseCommandArgs('publish', args, {
      app: { type: 'string' },
      type: { type: 'string' },
      data: { type: 'string' },
      'idempotency-key': { type: 'string' },
      file: { type: 'string' },
    });
    const appId = requireOption(values.app, 'app');
    if (values.file !== undefined) {
      const extra = (['type', 'data', 'idempotency-key'] as const).find((f) => values[f] !== undefined);
      if (extra)
        throw new UsageError(`--file cannot be combined with --${extra} (the file holds the events)`);
      return { appId, file: requireOption(values.file, 'file') };
    }
    if (values.type === undefined && values.data === undefined) {
      throw new UsageError('give --type and --data, or --file');
    }
    const event: EventInput = {
      type: requireOption(values.type, 'type'),
      data: parseJsonOption(requireOption(values.data, 'data'), 'data') as Record<string, unknown>,
      ...(values['idempotency-key'] === undefined ? {} : { idempotencyKey: values['idempotency-key'] }),
    };
    const { issues } = checkEventInput(event);
    if (issues.length > 0) {
      throw new ValidationError(
        `invalid event: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
        issues,
      );
    }
    return { appId, event };
  },
  async execute(input, ctx) {
    if (input.event) {
      const client = await openPublisher(ctx, input.appId);
      const { id } = await client.publish({ app: input.appId, ...input.event });
      report(ctx, [id]);
      return;
    }
    const text = await readEventsFile(ctx, input.file);
    // Every line is checked before anything is published.
    const events = parseEventLines(text);
    const client = await openPublisher(ctx, input.appId);
    const ids: string[] = [];
    const bar = ctx.progress('publishing');
    bar.update(0, events.length);
    try {
      for (let start = 0; start < events.length; start += PUBLISH_CHUNK) {
        const chunk = events.slice(start, start + PUBLISH_CHUNK);
        const result = await client.publishBatch(
          chunk.map(({ type, data, idempotencyKey }) => ({
            app: input.appId,
            type,
            data,
            ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
          })),
        );
        ids.push(...result.ids);
        bar.update(ids.length, events.length);
      }
    } catch (error) {
      const cause = toCliError(error);
      throw new CliError(
        cause.code,
        `${cause.message} (${ids.length} of ${events.length} events were published before this error)`,
        cause.exitCode,
      );
    } finally {
      bar.finish();
    }
    report(ctx, ids);
  },
});

async function openPublisher(ctx: CliContext, appId: string): Promise<Herald> {
  const { db } = await ctx.services();
  // The queue accepts any app id; an unknown one would be dropped by the worker.
  await getApp(db, appId);
  return ctx.client();
}

async function readEventsFile(ctx: CliContext, file: string): Promise<string> {
  try {
    return file === '-' ? await readAll(ctx.io.stdin) : await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(
      'io',
      `cannot read ${file === '-' ? 'stdin' : file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function report(ctx: CliContext, ids: string[]): void {
  ctx.output.result({ published: ids.length, ids }, () => {
    const listed =
      ids.length <= MAX_LISTED_IDS
        ? ids
        : [...ids.slice(0, 3), `… ${ids.length - 6} more (--json lists all) …`, ...ids.slice(-3)];
    return [formatFields([['published', ids.length]]), ...listed.map((id) => `  ${id}`)].join('\n');
  });
}
