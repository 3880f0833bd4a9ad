export { createDb, databaseNameOf, withDatabaseName } from './connect.js';
export type { CreateDbOptions, Db } from './connect.js';
export {
  openWhenTablesAreLarge,
  preparedNameOf,
  preparedStatement,
  PREPARED_STATEMENTS_MIN_ROWS,
  PreparedStatementGate,
  smallestTableEstimate,
} from './prepared.js';
export type { GateWatchOptions } from './prepared.js';
export {
  SchemaBehindError,
  assertSchemaCurrent,
  ensureDatabase,
  migrateDatabase,
  migrateToLatest,
  pendingMigrations,
  ping,
} from './migrate.js';
export { ATTEMPT_OUTCOMES, DELIVERY_STATUSES, WEBHOOK_FORMATS, WEBHOOK_STATES } from './schema.js';
export type {
  AdminUserRow,
  ApiKeyRow,
  ApiKeyScope,
  AppRow,
  AttemptOutcome,
  AuditActorType,
  AuditLogRow,
  Database,
  DeliveryAttemptRow,
  DeliveryRow,
  DeliveryStatus,
  EventRow,
  NewApp,
  NewDelivery,
  NewDeliveryAttempt,
  NewEvent,
  NewWebhook,
  WebhookFormat,
  WebhookRow,
  WebhookState,
  WebhookUpdate,
} from './schema.js';
