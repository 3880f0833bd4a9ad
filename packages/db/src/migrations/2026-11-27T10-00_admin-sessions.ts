import { sql, type Kysely } from 'kysely';

// Frozen: never edit after it lands; add a new migration instead.
//
// Server-side sessions of the admin panel. A row lives until its idle
// deadline (`expires_at`, pushed forward on every request) or until its
// absolute lifetime (counted from `created_at`, reset only by a new login)
// runs out; expired rows are pruned in small batches by the panel.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
create table admin_sessions (
  sid           text primary key,
  admin_id      text references admin_users(id) on delete cascade,
  data          jsonb not null default '{}' check (jsonb_typeof(data) = 'object'),
  expires_at    timestamptz not null,
  created_at    timestamptz not null default now(),
  last_seen_at  timestamptz not null default now()
);
create index admin_sessions_expires_idx on admin_sessions (expires_at);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('drop table admin_sessions').execute(db);
}
