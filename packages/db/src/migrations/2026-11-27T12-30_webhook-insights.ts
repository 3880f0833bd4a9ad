import { sql, type Kysely } from 'kysely';

// Frozen: never edit after it lands; add a new migration instead.
//
// For the panel's webhook page:
// - `deliveries.replay_id`: the replay that last queued a delivery again, so a
//   replay's progress (pending / succeeded / failed / dead) is one indexed count.
// - `deliveries_webhook_attempted_idx`: the webhook's deliveries attempted since
//   a time, the bounded entry into `delivery_attempts` for the 24 h chart
//   (every attempt sets `last_attempt_at` to its start, so a delivery with an
//   attempt in the window is found through it).
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
alter table deliveries add column replay_id text;
create index deliveries_replay_idx on deliveries (replay_id, status) where replay_id is not null;
create index deliveries_webhook_attempted_idx on deliveries (webhook_id, last_attempt_at)
  where last_attempt_at is not null;
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
drop index deliveries_webhook_attempted_idx;
drop index deliveries_replay_idx;
alter table deliveries drop column replay_id;
`,
    )
    .execute(db);
}
