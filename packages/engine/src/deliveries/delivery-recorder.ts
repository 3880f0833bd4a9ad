import { sql } from 'kysely';
import { newId } from '@herald/core';
import { preparedStatement, type AttemptOutcome, type Db, type DeliveryStatus } from '@herald/db';
import { GroupCommitter, type GroupCommitOptions } from '../recording/group-commit.js';

export interface AttemptRecord {
  attempt: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  durationMs: number;
  responseSnippet: string | null;
  error: string | null;
  startedAt: Date;
}

/** One delivery's change of state, with the attempt that caused it (if any). */
export interface DeliveryOutcome {
  deliveryId: string;
  webhookId: string;
  status: DeliveryStatus;
  /** Attempts made so far (unchanged when no attempt was made). */
  attempts?: number;
  nextAttemptAt: Date | null;
  attemptRecord?: AttemptRecord;
  /** How the webhook's health moves: a success clears failing_since. */
  webhookHealth?: 'success' | 'failure';
  /** Disable the webhook with this reason (410 Gone). */
  disableWebhook?: string;
}

export interface WebhookEffects {
  /** Webhooks this batch disabled (410, or failing for too long). */
  disabled: { webhookId: string; appId: string }[];
  /**
   * Deliveries of the batch whose row is gone (retention pruned its event, or
   * its app was deleted, while it was in flight): nothing was written for them.
   */
  missing: ReadonlySet<string>;
}

/** What one submitted outcome came to: the batch's webhook effects, and whether its own row was there. */
export interface RecordedOutcome extends WebhookEffects {
  /** False when the delivery's row is gone: nothing was recorded and nothing more is owed. */
  recorded: boolean;
}

const NONE_MISSING: ReadonlySet<string> = new Set();

function missingOf(
  outcomes: readonly DeliveryOutcome[],
  updated: readonly { id: string }[],
): ReadonlySet<string> {
  if (updated.length === outcomes.length) return NONE_MISSING;
  const found = new Set(updated.map((r) => r.id));
  return new Set(outcomes.map((o) => o.deliveryId).filter((id) => !found.has(id)));
}

const MAX_ERROR_LENGTH = 2000;

function attemptRows(outcomes: readonly DeliveryOutcome[]) {
  return outcomes.flatMap((o) =>
    o.attemptRecord
      ? [
          {
            id: newId('attempt'),
            delivery_id: o.deliveryId,
            attempt: o.attemptRecord.attempt,
            outcome: o.attemptRecord.outcome,
            status_code: o.attemptRecord.statusCode,
            duration_ms: Math.max(0, Math.round(o.attemptRecord.durationMs)),
            response_snippet: o.attemptRecord.responseSnippet,
            error: o.attemptRecord.error?.slice(0, MAX_ERROR_LENGTH) ?? null,
            started_at: o.attemptRecord.startedAt,
          },
        ]
      : [],
  );
}

function deliveryRows(outcomes: readonly DeliveryOutcome[]) {
  return outcomes.map((o) => ({
    id: o.deliveryId,
    status: o.status,
    attempts: o.attempts ?? null,
    next_attempt_at: o.nextAttemptAt?.toISOString() ?? null,
    last_attempt_at: o.attemptRecord?.startedAt.toISOString() ?? null,
    last_status_code: o.attemptRecord?.statusCode ?? null,
    last_error: o.attemptRecord ? (o.attemptRecord.error?.slice(0, MAX_ERROR_LENGTH) ?? null) : null,
    has_attempt: o.attemptRecord !== undefined,
  }));
}

// One statement for the whole batch. A cancelled delivery stays cancelled
// (its webhook was deleted while the attempt was in flight).
const UPDATE_DELIVERIES = sql`
  update deliveries d set
    status = case when d.status = 'cancelled' then d.status else v.status end,
    attempts = coalesce(v.attempts, d.attempts),
    next_attempt_at = case when d.status = 'cancelled' then null else v.next_attempt_at end,
    last_attempt_at = case when v.has_attempt then v.last_attempt_at else d.last_attempt_at end,
    last_status_code = case when v.has_attempt then v.last_status_code else d.last_status_code end,
    last_error = case when v.has_attempt then v.last_error else d.last_error end,
    updated_at = now()`;

const DELIVERY_RECORD = sql`(id text, status text, attempts int, next_attempt_at timestamptz,
  last_attempt_at timestamptz, last_status_code int, last_error text, has_attempt boolean)`;

const ATTEMPT_RECORD = sql`(id text, delivery_id text, attempt int, outcome text, status_code int,
  duration_ms int, response_snippet text, error text, started_at timestamptz)`;

// An attempt of a delivery whose row is gone (its event pruned, its app
// deleted, mid-attempt) is not inserted: the foreign key would refuse the
// whole batch. Its update matches nothing, and the caller hears it (missing).
const ONLY_EXISTING_DELIVERIES = sql`where exists (select 1 from deliveries x where x.id = a.delivery_id)`;

const OUTCOMES_WRITE = preparedStatement('herald_outcomes_write');

/**
 * Writes a batch of delivery outcomes atomically: attempt rows, delivery
 * statuses, and webhook health (failing_since; auto-disable after
 * `disableAfterMs` of continuous failure; 410s).
 *
 * A batch with no failure and no disable (the common case) is one statement:
 * one round trip, no BEGIN/COMMIT, prepared once per connection. Failures need the step-by-step
 * transaction, whose later statements read what earlier ones wrote.
 */
export async function writeDeliveryOutcomes(
  db: Db,
  outcomes: readonly DeliveryOutcome[],
  options: { disableAfterMs: number },
): Promise<WebhookEffects> {
  if (outcomes.some((o) => o.webhookHealth === 'failure' || o.disableWebhook)) {
    return writeDeliveryOutcomesStepwise(db, outcomes, options);
  }
  const succeeded = [
    ...new Set(outcomes.filter((o) => o.webhookHealth === 'success').map((o) => o.webhookId)),
  ];
  const updated = await sql<{ id: string }>`${OUTCOMES_WRITE}
    with attempts as (
      insert into delivery_attempts
        (id, delivery_id, attempt, outcome, status_code, duration_ms, response_snippet, error, started_at)
      select a.* from jsonb_to_recordset(${JSON.stringify(attemptRows(outcomes))}::jsonb) as a${ATTEMPT_RECORD}
      ${ONLY_EXISTING_DELIVERIES}
    ), healthy as (
      update webhooks set failing_since = null
      where id = any(${succeeded}::text[]) and failing_since is not null
    )
    ${UPDATE_DELIVERIES}
    from jsonb_to_recordset(${JSON.stringify(deliveryRows(outcomes))}::jsonb) as v${DELIVERY_RECORD}
    where d.id = v.id
    returning d.id`.execute(db);
  return { disabled: [], missing: missingOf(outcomes, updated.rows) };
}

/** writeDeliveryOutcomes as a transaction of separate statements (any batch). */
export async function writeDeliveryOutcomesStepwise(
  db: Db,
  outcomes: readonly DeliveryOutcome[],
  options: { disableAfterMs: number },
): Promise<WebhookEffects> {
  return db.transaction().execute(async (trx) => {
    const attempts = attemptRows(outcomes);
    if (attempts.length > 0) {
      await sql`
        insert into delivery_attempts
          (id, delivery_id, attempt, outcome, status_code, duration_ms, response_snippet, error, started_at)
        select a.* from jsonb_to_recordset(${JSON.stringify(attempts)}::jsonb) as a${ATTEMPT_RECORD}
        ${ONLY_EXISTING_DELIVERIES}`.execute(trx);
    }
    const updated = await sql<{ id: string }>`
      ${UPDATE_DELIVERIES}
      from jsonb_to_recordset(${JSON.stringify(deliveryRows(outcomes))}::jsonb) as v${DELIVERY_RECORD}
      where d.id = v.id
      returning d.id`.execute(trx);

    const failed = [
      ...new Set(outcomes.filter((o) => o.webhookHealth === 'failure').map((o) => o.webhookId)),
    ];
    const succeeded = [
      ...new Set(outcomes.filter((o) => o.webhookHealth === 'success').map((o) => o.webhookId)),
    ];
    const disabled: WebhookEffects['disabled'] = [];
    if (failed.length > 0) {
      await trx
        .updateTable('webhooks')
        .set({ failing_since: sql`now()` })
        .where('id', 'in', failed)
        .where('failing_since', 'is', null)
        .execute();
      const tooLong = await trx
        .updateTable('webhooks')
        .set({
          state: 'disabled',
          disabled_reason: sql<string>`'failing continuously since ' || to_char(failing_since at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')`,
          disabled_at: sql`now()`,
          updated_at: sql`now()`,
        })
        .where('id', 'in', failed)
        .where('state', '=', 'enabled')
        .where(
          'failing_since',
          '<',
          sql<Date>`now() - make_interval(secs => ${options.disableAfterMs / 1000})`,
        )
        .returning(['id', 'app_id'])
        .execute();
      disabled.push(...tooLong.map((r) => ({ webhookId: r.id, appId: r.app_id })));
    }
    if (succeeded.length > 0) {
      await trx
        .updateTable('webhooks')
        .set({ failing_since: null })
        .where('id', 'in', succeeded)
        .where('failing_since', 'is not', null)
        .execute();
    }
    for (const o of outcomes) {
      if (!o.disableWebhook) continue;
      const gone = await trx
        .updateTable('webhooks')
        .set({
          state: 'disabled',
          disabled_reason: o.disableWebhook,
          disabled_at: sql`now()`,
          updated_at: sql`now()`,
        })
        .where('id', '=', o.webhookId)
        .where('state', '<>', 'disabled')
        .returning(['id', 'app_id'])
        .executeTakeFirst();
      if (gone) disabled.push({ webhookId: gone.id, appId: gone.app_id });
    }
    return { disabled, missing: missingOf(outcomes, updated.rows) };
  });
}

export type DeliveryRecorder = GroupCommitter<DeliveryOutcome, RecordedOutcome>;

export function createDeliveryRecorder(
  db: Db,
  options: { disableAfterMs: number } & Pick<
    GroupCommitOptions<DeliveryOutcome, WebhookEffects>,
    'onRetry' | 'onBatch' | 'maxBatch' | 'maxInFlight' | 'lingerMs'
  >,
): DeliveryRecorder {
  return new GroupCommitter<DeliveryOutcome, RecordedOutcome>({
    ...options,
    write: async (items) => {
      const effects = await writeDeliveryOutcomes(db, items, options);
      // Every caller sees the batch's effects; each acts only on its own webhook.
      const recorded: RecordedOutcome = { ...effects, recorded: true };
      if (effects.missing.size === 0) return items.map(() => recorded);
      const gone: RecordedOutcome = { ...effects, recorded: false };
      return items.map((o) => (effects.missing.has(o.deliveryId) ? gone : recorded));
    },
  });
}
