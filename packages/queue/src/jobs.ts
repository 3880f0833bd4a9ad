import type { JobsOptions } from 'bullmq';
import { EVENT_TYPE_PATTERN, jsonDataProblem, utcDate } from '@herald/core';

/** A published event, as the `{events}` queue carries it. */
export interface EventJobData {
  v: 1;
  /** `msg_…`, made by the publisher; becomes the `webhook-id` header. */
  id: string;
  appId: string;
  type: string;
  /** ISO-8601, set at publish time. */
  timestamp: string;
  data: Record<string, unknown>;
  idempotencyKey?: string;
}

/**
 * One delivery (event × webhook). No secret travels here: the worker looks
 * the webhook up. `body` is the standard JSON body, built once at fan-out.
 */
export interface DeliveryJobData {
  v: 1;
  deliveryId: string;
  eventId: string;
  webhookId: string;
  appId: string;
  body: string;
  /** Attempts already made before this job (numbering continues from here). */
  attemptOffset: number;
  /** Position in the retry schedule this job starts at (0 = a fresh schedule). */
  scheduleOffset: number;
  /** 429 answers so far: they count as attempts but do not advance the schedule. */
  rateLimitedAttempts?: number;
}

/** Event idempotency keys hold for at least this long (DESIGN §3). */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

// Finished jobs leave Redis (memory stays bounded); Postgres keeps the
// history. Failed jobs linger a day for inspection in the queue dashboard.
// Frozen and shared by every job (`removeOnComplete: true` beside it):
// fewer objects per job on the publish and fan-out paths.
const REMOVE_ON_FAIL = Object.freeze({ age: 86_400, count: 10_000 });
// Fan-out is cheap to retry and idempotent; these cover Postgres outages.
const EVENT_ATTEMPTS = 20;
const EVENT_BACKOFF = Object.freeze({ type: 'exponential', delay: 1_000 });

export function eventJobOptions(event: EventJobData): JobsOptions {
  const options: JobsOptions = {
    removeOnComplete: true,
    removeOnFail: REMOVE_ON_FAIL,
    jobId: event.id,
    attempts: EVENT_ATTEMPTS,
    backoff: EVENT_BACKOFF,
  };
  if (event.idempotencyKey !== undefined) {
    options.deduplication = { id: `${event.appId}.${event.idempotencyKey}`, ttl: IDEMPOTENCY_TTL_MS };
  }
  return options;
}

// The worker's retry policy, not BullMQ, decides when a delivery is dead (it
// fails the job as unrecoverable), so enqueuers need not know the schedule.
// This only bounds BullMQ's own count.
const DELIVERY_MAX_ATTEMPTS = 10_000;

/**
 * BullMQ takes jobs without a priority (its wait list) before any prioritized
 * one, and lower numbers first among those. Herald uses that for fairness:
 * first attempts of most apps go in unprioritized; those of an app flooding
 * the queue get BUSY_APP; retries get RETRY, so a backlog of retries to a
 * broken endpoint never delays anyone's first attempt.
 */
export const DELIVERY_PRIORITY = { normal: 0, busyApp: 10, retry: 1_000 } as const;

// A custom strategy: the worker's backoffStrategy returns the delay the
// retry policy chose for this failure.
const DELIVERY_BACKOFF = Object.freeze({ type: 'herald' });

export function deliveryJobOptions(
  data: DeliveryJobData,
  priority: number = DELIVERY_PRIORITY.normal,
  delayMs = 0,
): JobsOptions {
  const options: JobsOptions = {
    removeOnComplete: true,
    removeOnFail: REMOVE_ON_FAIL,
    jobId: data.deliveryId,
    attempts: DELIVERY_MAX_ATTEMPTS,
    backoff: DELIVERY_BACKOFF,
  };
  if (priority > 0) options.priority = priority;
  if (delayMs > 0) options.delay = delayMs;
  return options;
}

function fail(what: string): never {
  throw new TypeError(`malformed ${what}`);
}

const isString = (v: unknown, max = 512): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;
const isCount = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) < 1_000_000;

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * An ISO-8601 instant that exists and that Postgres' timestamptz takes:
 * `Date.parse` alone accepts 2026-02-30 (as March 2) and year 0, which Postgres
 * refuses, and offsets Postgres does not take.
 */
function isRealTimestamp(text: string): boolean {
  const m = ISO_TIMESTAMP.exec(text);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const offsetOk = m[7] === undefined || (Number(m[7]) <= 14 && Number(m[8]) <= 59);
  return offsetOk && utcDate(year, month, day, hour, minute, second) !== undefined;
}

/**
 * Job payloads are an input boundary: refuse anything not made by Herald, and
 * anything the event's rows would refuse (type, timestamp, data jsonb refuses) —
 * a first attempt may go out before those rows are written.
 */
export function parseEventJobData(raw: unknown): EventJobData {
  const d = raw as Partial<EventJobData> | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    d.v !== 1 ||
    !isString(d.id) ||
    !isString(d.appId) ||
    !isString(d.type, 256) ||
    !isString(d.timestamp, 64) ||
    typeof d.data !== 'object' ||
    d.data === null ||
    Array.isArray(d.data) ||
    (d.idempotencyKey !== undefined && !isString(d.idempotencyKey, 256)) ||
    !EVENT_TYPE_PATTERN.test(d.type) ||
    !isRealTimestamp(d.timestamp) ||
    jsonDataProblem(JSON.stringify(d.data)) !== undefined
  ) {
    fail('event job');
  }
  return d as EventJobData;
}

export function parseDeliveryJobData(raw: unknown): DeliveryJobData {
  const d = raw as Partial<DeliveryJobData> | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    d.v !== 1 ||
    !isString(d.deliveryId) ||
    !isString(d.eventId) ||
    !isString(d.webhookId) ||
    !isString(d.appId) ||
    typeof d.body !== 'string' ||
    !isCount(d.attemptOffset) ||
    !isCount(d.scheduleOffset) ||
    (d.rateLimitedAttempts !== undefined && !isCount(d.rateLimitedAttempts))
  ) {
    fail('delivery job');
  }
  return d as DeliveryJobData;
}
