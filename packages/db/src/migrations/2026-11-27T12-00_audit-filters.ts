import { sql, type Kysely } from 'kysely';

// Frozen: never edit after it lands; add a new migration instead.
//
// The panel's audit log is paged newest first by id (ids are time-ordered)
// and filtered by action or by actor: each filter gets an index that serves
// the filter and the order together, and lets the action picker list
// distinct actions with one index probe each.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
create index audit_log_action_id_idx on audit_log (action, id);
create index audit_log_actor_id_idx on audit_log (actor_id, id) where actor_id is not null;
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('drop index audit_log_action_id_idx, audit_log_actor_id_idx').execute(db);
}
