import { sql, type Kysely } from 'kysely';

// Frozen: never edit after it lands; add a new migration instead.
//
// `endpoint_gates.expires_at` (ms since the epoch, on the callers' clock): a
// gate row not written for 24 hours is forgotten, as the Redis gate hash is by
// its PEXPIRE. Without it, Postgres-only mode kept a failure count for ever:
// threshold − 1 failures, a day of silence, and the next failure opened the
// circuit (on Redis it would have been the first of a new count). Every write
// (a failure, a 429 pause, a probe or a rate-limit step) sets it to now + 24 h;
// herald_gate_admit and the failure and pause functions drop an expired row
// before they read it. Rows that exist when this runs get a fresh 24 hours.
const EXPIRY_MS = 86_400_000;

export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
alter table endpoint_gates add column expires_at bigint not null default 0;
update endpoint_gates set expires_at = floor(extract(epoch from clock_timestamp()) * 1000)::bigint + ${EXPIRY_MS};

create or replace function herald_gate_admit(
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
  delete from endpoint_gates where webhook_id = p_webhook and expires_at <= p_now;
  if p_interval > 0 then
    insert into endpoint_gates (webhook_id, expires_at) values (p_webhook, p_now + ${EXPIRY_MS})
      on conflict do nothing;
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
    update endpoint_gates set probe = p_now, expires_at = p_now + ${EXPIRY_MS} where webhook_id = p_webhook;
  end if;
  if p_interval > 0 then
    t := greatest(coalesce(g.tat, p_now), p_now);
    if t - p_tolerance > p_now then
      until := t - p_tolerance; reason := 3; return;
    end if;
    update endpoint_gates set tat = t + p_interval, expires_at = p_now + ${EXPIRY_MS} where webhook_id = p_webhook;
  end if;
end
$$;

create function herald_gate_failure(p_webhook text, p_now bigint, p_threshold integer, p_open_ms bigint)
returns integer language plpgsql as $$
declare
  n integer;
  opens boolean;
begin
  delete from endpoint_gates where webhook_id = p_webhook and expires_at <= p_now;
  insert into endpoint_gates as g (webhook_id, failures, expires_at) values (p_webhook, 1, p_now + ${EXPIRY_MS})
    on conflict (webhook_id) do update set failures = g.failures + 1, expires_at = excluded.expires_at
    returning g.failures into n;
  opens := p_threshold > 0 and n >= p_threshold;
  if opens then
    update endpoint_gates set open_until = p_now + p_open_ms, probe = 0 where webhook_id = p_webhook;
  end if;
  return n;
end
$$;

create function herald_gate_pause(p_webhook text, p_until bigint, p_now bigint)
returns void language plpgsql as $$
begin
  delete from endpoint_gates where webhook_id = p_webhook and expires_at <= p_now;
  insert into endpoint_gates as g (webhook_id, pause_until, expires_at) values (p_webhook, p_until, p_now + ${EXPIRY_MS})
    on conflict (webhook_id) do update
      set pause_until = greatest(g.pause_until, excluded.pause_until), expires_at = excluded.expires_at;
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
drop function herald_gate_pause(text, bigint, bigint);
drop function herald_gate_failure(text, bigint, integer, bigint);
create or replace function herald_gate_admit(
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
alter table endpoint_gates drop column expires_at;
`,
    )
    .execute(db);
}
