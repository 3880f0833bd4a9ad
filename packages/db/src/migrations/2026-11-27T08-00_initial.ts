import { sql, type Kysely } from 'kysely';

// Frozen: never edit after it lands; add a new migration instead.
//
// Retention is by batched pruning (oldest events first; deliveries and
// attempts go with them by cascade), so every table that grows without bound
// has an index that starts with its creation time or its parent's key.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
create table apps (
  id          text primary key,
  name        text not null check (length(name) between 1 and 200),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);

create table admin_users (
  id             text primary key,
  email          text not null check (length(email) between 3 and 320),
  password_hash  text not null,
  last_app_id    text references apps(id) on delete set null,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  last_login_at  timestamptz
);
create unique index admin_users_email_key on admin_users (lower(email));

create table webhooks (
  id                          text primary key,
  app_id                      text not null references apps(id) on delete cascade,
  url                         text not null check (length(url) between 1 and 2048),
  description                 text not null default '' check (length(description) <= 1000),
  user_agent                  text check (user_agent is null or length(user_agent) between 1 and 512),
  event_types                 text[] not null default '{}',
  format                      text not null default 'standard'
                                check (format in ('standard', 'discord', 'telegram', 'slack')),
  headers                     jsonb not null default '{}' check (jsonb_typeof(headers) = 'object'),
  rate_limit_per_second       integer check (rate_limit_per_second between 1 and 100000),
  state                       text not null default 'enabled'
                                check (state in ('enabled', 'paused', 'disabled')),
  disabled_reason             text,
  disabled_at                 timestamptz,
  secret_ciphertext           text not null,
  previous_secret_ciphertext  text,
  previous_secret_expires_at  timestamptz,
  failing_since               timestamptz,
  created_at                  timestamptz not null default now(),
  updated_at                  timestamptz not null default now(),
  deleted_at                  timestamptz,
  constraint webhooks_previous_secret_expiry
    check ((previous_secret_ciphertext is null) = (previous_secret_expires_at is null)),
  constraint webhooks_disabled_has_reason
    check (state <> 'disabled' or disabled_reason is not null)
);
-- Deleted webhooks stay (soft delete) so their cancelled deliveries keep a parent.
create index webhooks_app_created_idx on webhooks (app_id, created_at) where deleted_at is null;

create table api_keys (
  id            text primary key,
  app_id        text not null references apps(id) on delete cascade,
  name          text not null default '' check (length(name) <= 200),
  prefix        text not null unique,
  key_hash      bytea not null unique check (length(key_hash) = 32),
  scope         text not null default 'full' check (scope in ('full', 'ingest')),
  created_at    timestamptz not null default now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
create index api_keys_app_created_idx on api_keys (app_id, created_at);

create table events (
  id               text primary key,
  app_id           text not null references apps(id) on delete cascade,
  type             text not null check (length(type) between 1 and 256 and type ~ '^[a-zA-Z0-9_.-]+$'),
  -- null once retention has dropped the payload but kept the metadata
  payload          jsonb,
  idempotency_key  text check (length(idempotency_key) between 1 and 256),
  created_at       timestamptz not null,
  recorded_at      timestamptz not null default now()
);
create index events_app_created_idx on events (app_id, created_at desc);
create index events_app_type_created_idx on events (app_id, type, created_at desc);
create index events_created_idx on events (created_at);

create table deliveries (
  id               text primary key,
  event_id         text not null references events(id) on delete cascade,
  webhook_id       text not null references webhooks(id) on delete cascade,
  app_id           text not null references apps(id) on delete cascade,
  status           text not null
                     check (status in ('pending', 'succeeded', 'failed', 'dead', 'held', 'cancelled')),
  attempts         integer not null default 0 check (attempts >= 0),
  next_attempt_at  timestamptz,
  last_attempt_at  timestamptz,
  last_status_code integer check (last_status_code between 100 and 599),
  last_error       text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  -- fan-out idempotency: one delivery per event and webhook, however often it runs
  constraint deliveries_event_webhook_key unique (event_id, webhook_id)
);
create index deliveries_webhook_status_created_idx on deliveries (webhook_id, status, created_at desc);
create index deliveries_webhook_created_idx on deliveries (webhook_id, created_at desc);
create index deliveries_app_created_idx on deliveries (app_id, created_at desc);
create index deliveries_app_status_created_idx on deliveries (app_id, status, created_at desc);
-- the reconciler's scan for overdue work
create index deliveries_due_idx on deliveries (next_attempt_at) where status in ('pending', 'failed');

create table delivery_attempts (
  id                text primary key,
  delivery_id       text not null references deliveries(id) on delete cascade,
  attempt           integer not null check (attempt >= 1),
  outcome           text not null
                      check (outcome in ('success', 'http_error', 'timeout', 'network_error', 'blocked')),
  status_code       integer check (status_code between 100 and 599),
  duration_ms       integer not null check (duration_ms >= 0),
  response_snippet  text check (length(response_snippet) <= 4096),
  error             text check (length(error) <= 2000),
  started_at        timestamptz not null,
  created_at        timestamptz not null default now()
);
create index delivery_attempts_delivery_idx on delivery_attempts (delivery_id, attempt);

create table audit_log (
  id           text primary key,
  actor_type   text not null check (actor_type in ('admin', 'api_key', 'cli', 'system')),
  actor_id     text,
  actor_label  text not null default '',
  action       text not null check (action ~ '^[a-z_]+(\\.[a-z_]+)+$'),
  app_id       text references apps(id) on delete set null,
  target_type  text,
  target_id    text,
  details      jsonb not null default '{}' check (jsonb_typeof(details) = 'object'),
  ip           text,
  user_agent   text,
  created_at   timestamptz not null default now()
);
create index audit_log_created_idx on audit_log (created_at desc);
create index audit_log_app_created_idx on audit_log (app_id, created_at desc);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw('drop table audit_log, delivery_attempts, deliveries, events, api_keys, webhooks, admin_users, apps')
    .execute(db);
}
