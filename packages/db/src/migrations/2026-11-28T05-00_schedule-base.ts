import { sql, type Kysely } from 'kysely';

// Frozen: never edit after it lands; add a new migration instead.
//
// `deliveries.schedule_base`: the attempt count when the delivery's current
// retry schedule began (0 at fan-out; its attempts when a retry or replay gave
// it a fresh schedule). A delivery queued again later (released on resume,
// found by the reconciler) continues from the attempts after it that advanced
// the schedule, not from its whole history. Adding a column with a constant
// default rewrites nothing.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `alter table deliveries add column schedule_base integer not null default 0 check (schedule_base >= 0);`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`alter table deliveries drop column schedule_base;`).execute(db);
}
