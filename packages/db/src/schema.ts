import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Timestamps come back as Date; inserts and updates may pass a Date or SQL. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'dead', 'held', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const WEBHOOK_FORMATS = ['standard', 'discord', 'telegram', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const WEBHOOK_STATES = ['enabled', 'paused', 'disabled'] as const;
export type WebhookState = (typeof WEBHOOK_STATES)[number];

export const ATTEMPT_OUTCOMES = ['success', 'http_error', 'timeout', 'network_error', 'blocked'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export type ApiKeyScope = 'full' | 'ingest';
export type AuditActorType = 'admin' | 'api_key' | 'cli' | 'system';

export interface AppsTable {
  id: string;
  name: string;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface AdminUsersTable {
  id: string;
  email: string;
  password_hash: string;
  last_app_id: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  last_login_at: Timestamp | null;
}

export interface WebhooksTable {
  id: string;
  app_id: string;
  url: string;
  description: Generated<string>;
  user_agent: string | null;
  event_types: Generated<string[]>;
  format: Generated<WebhookFormat>;
  headers: ColumnType<Record<string, string>, string | undefined, string>;
  rate_limit_per_second: number | null;
  state: Generated<WebhookState>;
  disabled_reason: string | null;
  disabled_at: Timestamp | null;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: Timestamp | null;
  failing_since: Timestamp | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  deleted_at: Timestamp | null;
}

export interface ApiKeysTable {
  id: string;
  app_id: string;
  name: Generated<string>;
  prefix: string;
  key_hash: Buffer;
  scope: Generated<ApiKeyScope>;
  created_at: DefaultedTimestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface EventsTable {
  id: string;
  app_id: string;
  type: string;
  /** JSON text on insert; parsed object on select; null once pruned. */
  payload: ColumnType<unknown, string | null, string | null>;
  idempotency_key: string | null;
  created_at: Timestamp;
  recorded_at: DefaultedTimestamp;
}

export interface DeliveriesTable {
  id: string;
  event_id: string;
  webhook_id: string;
  app_id: string;
  status: DeliveryStatus;
  attempts: Generated<number>;
  next_attempt_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  /** The replay that last queued this delivery again (progress of a replay). */
  replay_id: string | null;
  /** Its attempt count when its current retry schedule began (a retry or replay starts a fresh one). */
  schedule_base: Generated<number>;
}

export interface DeliveryAttemptsTable {
  id: string;
  delivery_id: string;
  attempt: number;
  outcome: AttemptOutcome;
  status_code: number | null;
  duration_ms: number;
  response_snippet: string | null;
  error: string | null;
  started_at: Timestamp;
  created_at: DefaultedTimestamp;
}

export interface AuditLogTable {
  id: string;
  actor_type: AuditActorType;
  actor_id: string | null;
  actor_label: Generated<string>;
  action: string;
  app_id: string | null;
  target_type: string | null;
  target_id: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  ip: string | null;
  user_agent: string | null;
  created_at: DefaultedTimestamp;
}

export interface AdminSessionsTable {
  sid: string;
  admin_id: string | null;
  /** The express-session object: JSON text on insert, parsed on select. */
  data: ColumnType<Record<string, unknown>, string, string>;
  expires_at: Timestamp;
  created_at: DefaultedTimestamp;
  last_seen_at: DefaultedTimestamp;
}

export interface Database {
  apps: AppsTable;
  admin_users: AdminUsersTable;
  webhooks: WebhooksTable;
  api_keys: ApiKeysTable;
  events: EventsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  audit_log: AuditLogTable;
  admin_sessions: AdminSessionsTable;
}

export type AppRow = Selectable<AppsTable>;
export type NewApp = Insertable<AppsTable>;
export type AdminUserRow = Selectable<AdminUsersTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type NewWebhook = Insertable<WebhooksTable>;
export type WebhookUpdate = Updateable<WebhooksTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type EventRow = Selectable<EventsTable>;
export type NewEvent = Insertable<EventsTable>;
export type DeliveryRow = Selectable<DeliveriesTable>;
export type NewDelivery = Insertable<DeliveriesTable>;
export type DeliveryAttemptRow = Selectable<DeliveryAttemptsTable>;
export type NewDeliveryAttempt = Insertable<DeliveryAttemptsTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
