import { sql, type Kysely } from 'kysely';

// Frozen: never edit after it lands; add a new migration instead.
//
// What processes share outside rows and jobs when HERALD_QUEUE_BACKEND=postgres
// (with Redis these live in Redis and the tables stay empty). UNLOGGED: soft
// state, fast to write, emptied by a crash — as a Redis restart would.
//
// endpoint_gates: one row per webhook (circuit breaker, 429 pause, GCRA rate
// limit; ms since the epoch). herald_gate_admit decides and writes under the
// row lock in one call, as the Redis Lua script does.
//
// throttles: request limits of the admin processes (API GCRA, login window).
// `value` is a theoretical arrival time or a hit count; rows past
// `expires_at` are dead and swept in small batches.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
create unlogged table endpoint_gates (
  webhook_id   text primary key,
  failures     integer not null default 0,
  open_until   bigint not null default 0,
  probe        bigint not null default 0,
  tat          double precision,
  pause_until  bigint not null default 0
);

create unlogged table throttles (
  key         text primary key,
  value       double precision not null,
  expires_at  bigint not null
);
create index throttles_expires_idx on throttles (expires_at);

create function herald_gate_admit(
  p_webhook text, p_now bigint, p_interval double precision, p_tolerance double precision, p_probe_ms bigint,
  out until double precision, out failures integer, out reason integer
) language plpgsql as $$
declare
  g endpoint_gates%rowtype;
  t double precision;
begin
  until := 0;
  failures := 0;
  reason := 0;
  if p_interval > 0 then
    insert into endpoint_gates (webhook_id) values (p_webhook) on conflict do nothing;
  end if;
  select * into g from endpoint_gates where webhook_id = p_webhook for update;
  if not found then
    return;
  end if;
  failures := g.failures;
  if g.pause_until > p_now then
    until := g.pause_until; reason := 1; return;
  end if;
  if g.open_until > 0 then
    if p_now < g.open_until then
      until := g.open_until; reason := 2; return;
    end if;
    if g.probe > 0 and p_now - g.probe < p_probe_ms then
      until := g.probe + p_probe_ms; reason := 2; return;
    end if;
    update endpoint_gates set probe = p_now where webhook_id = p_webhook;
  end if;
  if p_interval > 0 then
    t := greatest(coalesce(g.tat, p_now), p_now);
    if t - p_tolerance > p_now then
      until := t - p_tolerance; reason := 3; return;
    end if;
    update endpoint_gates set tat = t + p_interval where webhook_id = p_webhook;
  end if;
end
$$;

create function herald_rate_admit(p_key text, p_interval double precision, p_tolerance double precision)
returns double precision language plpgsql as $$
declare
  now_ms double precision := floor(extract(epoch from clock_timestamp()) * 1000);
  r throttles%rowtype;
  t double precision;
  wait double precision;
begin
  insert into throttles (key, value, expires_at) values (p_key, now_ms, 0) on conflict do nothing;
  select * into r from throttles where key = p_key for update;
  t := case when r.expires_at <= now_ms then now_ms else greatest(r.value, now_ms) end;
  wait := t - p_tolerance - now_ms;
  if wait > 0 then
    return ceil(wait);
  end if;
  update throttles set value = t + p_interval, expires_at = ceil(t + p_interval) + 1000
    where key = p_key;
  return 0;
end
$$;
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
drop function herald_rate_admit(text, double precision, double precision);
drop function herald_gate_admit(text, bigint, double precision, double precision, bigint);
drop table throttles;
drop table endpoint_gates;
`,
    )
    .execute(db);
}
