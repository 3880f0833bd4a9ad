import { ValidationError, checkEventInput, newId, type FieldIssue } from '@herald/core';
import { eventJobOptions, type EventJobData, type HeraldQueue } from '@herald/queue';

/** One event as a producer gives it, with the app it belongs to. */
export interface EventForApp {
  app?: unknown;
  type: string;
  data: Record<string, unknown>;
  idempotencyKey?: string | undefined;
}

const APP_ID = /^app_[0-9A-HJKMNP-TV-Z]{26}$/;

const EVENT_FIELDS = new Set(['app', 'type', 'data', 'idempotencyKey']);

/**
 * Every problem with one event's type, data and idempotency key, each naming
 * its field (and `index` in a batch). A field the event does not have is one
 * too: `idempotency_key` silently ignored would publish duplicates.
 */
export function checkEventFields(input: unknown, index?: number): FieldIssue[] {
  const issues = checkEventInput(input, index === undefined ? {} : { index }).issues;
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    for (const field of Object.keys(input)) {
      if (EVENT_FIELDS.has(field)) continue;
      issues.push({
        field,
        message: 'is not an event field (app, type, data, idempotencyKey)',
        ...(index === undefined ? {} : { index }),
      });
    }
  }
  return issues;
}

/** As checkEventFields, and `app` must be an app id (publishing straight into the queue). */
export function checkEventForApp(input: unknown, index?: number): FieldIssue[] {
  const at = index === undefined ? {} : { index };
  const issues = checkEventFields(input, index);
  const app = (input as { app?: unknown } | null)?.app;
  if (typeof app !== 'string' || !APP_ID.test(app)) {
    issues.unshift({ field: 'app', message: 'must be an app id (app_…)', ...at });
  }
  return issues;
}

export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues
    .map((i) => `${i.index === undefined ? '' : `[${i.index}] `}${i.field} ${i.message}`)
    .join('; ');
}

/** Every event of one call is published at the same moment: one clock read and one timestamp for all. */
function toJob(input: EventForApp, nowMs: number, timestamp: string): EventJobData {
  return {
    v: 1,
    id: newId('event', nowMs),
    appId: input.app as string,
    type: input.type,
    timestamp,
    data: input.data,
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
  };
}

/** Validates one event and builds its `{events}` job (id and timestamp made here). */
export function buildEventJob(input: EventForApp): EventJobData {
  const issues = checkEventForApp(input);
  if (issues.length > 0) throw new ValidationError(`invalid event: ${describeIssues(issues)}`, issues);
  const nowMs = Date.now();
  return toJob(input, nowMs, new Date(nowMs).toISOString());
}

/** All or nothing: one ValidationError listing every bad item, or every job. */
export function buildEventJobs(inputs: readonly EventForApp[]): EventJobData[] {
  const issues = inputs.flatMap((input, index) => checkEventForApp(input, index));
  if (issues.length > 0) {
    throw new ValidationError(
      `invalid batch: ${issues.length} problem(s): ${describeIssues(issues)}`,
      issues,
    );
  }
  const nowMs = Date.now();
  const timestamp = new Date(nowMs).toISOString();
  return inputs.map((input) => toJob(input, nowMs, timestamp));
}

/**
 * One Redis round trip. With an idempotency key seen within its TTL, BullMQ
 * deduplicates and answers with the first job's id, which is returned.
 */
export async function enqueueEventJob(queue: HeraldQueue, job: EventJobData): Promise<string> {
  const added = await queue.add(job.type, job, eventJobOptions(job));
  return added.id ?? job.id;
}

/** One pipeline (`addBulk`) for the whole batch; ids in input order. */
export async function enqueueEventJobs(queue: HeraldQueue, jobs: readonly EventJobData[]): Promise<string[]> {
  if (jobs.length === 0) return [];
  const added = await queue.addBulk(
    jobs.map((job) => ({ name: job.type, data: job, opts: eventJobOptions(job) })),
  );
  return added.map((job, i) => job.id ?? jobs[i]!.id);
}
