export { createEngine } from './engine.js';
export type { Engine, EngineOptions } from './engine.js';
export { CLI_ACTOR, SYSTEM_ACTOR, recordAudit } from './audit/audit.js';
export { MAX_AUDIT_PAGE, listAuditActions, listAuditLog } from './audit/audit-log.js';
export type { AuditRecord, AuditSearch } from './audit/audit-log.js';
export type { Actor, AuditEntry } from './audit/audit.js';
export { createApp, getApp, listApps, parseAppName } from './apps/apps.service.js';
export type { App } from './apps/apps.service.js';
export { createApiKey, findApiKeyByToken, listApiKeys, revokeApiKey } from './api-keys/api-keys.service.js';
export type { ApiKey } from './api-keys/api-keys.service.js';
export { API_KEY_USAGE_RESOLUTION_MS, createApiKeyUsageTracker } from './api-keys/api-key-usage.js';
export {
  MIN_PASSWORD_LENGTH,
  changeAdminPassword,
  checkAdminPassword,
  createAdminUser,
  deleteAdminUser,
  ensureInitialAdmin,
  findAdminByEmail,
  hashPassword,
  listAdminUsers,
  parseAdminEmail,
  verifyPassword,
} from './admins/admins.service.js';
export type { AdminUser } from './admins/admins.service.js';
export { isValidEventFilter, matchesEventFilter } from './webhooks/event-filter.js';
export { checkWebhookFields, isReservedHeader, MAX_RATE_LIMIT_PER_SECOND } from './webhooks/webhook-input.js';
export type { WebhookInput } from './webhooks/webhook-input.js';
export { toPublicWebhook, toWebhook } from './webhooks/webhook.js';
export type { PublicWebhook } from './webhooks/webhook.js';
export { findWebhookAppId } from './webhooks/webhook-lookup.js';
export type { Webhook } from './webhooks/webhook.js';
export { WebhookCache } from './webhooks/webhook-cache.js';
export type { DeliveryTarget, WebhookCacheOptions } from './webhooks/webhook-cache.js';
export {
  DEFAULT_ROTATION_GRACE_SECONDS,
  createWebhook,
  deleteAllWebhooks,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  revealWebhookSecret,
  rotateWebhookSecret,
  setWebhookState,
  updateWebhook,
} from './webhooks/webhooks.service.js';
export type { CreatedWebhook, Page } from './webhooks/webhooks.service.js';
export {
  PAYLOAD_PRUNED_ERROR,
  listDeliveries,
  reconcileDeliveries,
  releaseHeldDeliveries,
  replayWebhook,
  retryDelivery,
} from './deliveries/deliveries.service.js';
export type { DeliverySummary, ReplayOptions, ReplayStatus } from './deliveries/deliveries.service.js';
export { countHeldDeliveries, getDeliveryWithAttempts, getEventTypes } from './deliveries/delivery-detail.js';
export type { DeliveryAttemptDetail, DeliveryDetail } from './deliveries/delivery-detail.js';
export { buildEventBody, enqueueDeliveries } from './deliveries/enqueue.js';
export type { DeliveryToEnqueue } from './deliveries/enqueue.js';
export { createDeliveryRecorder, writeDeliveryOutcomes } from './deliveries/delivery-recorder.js';
export type {
  AttemptRecord,
  DeliveryOutcome,
  DeliveryRecorder,
  RecordedOutcome,
  WebhookEffects,
} from './deliveries/delivery-recorder.js';
export { proposedDeliveryIds, writeFanout } from './events/fanout.repository.js';
export type { FanoutItem, FanoutResult, RecordedDelivery } from './events/fanout.repository.js';
export { getEventWithDeliveries } from './events/events.service.js';
export {
  MAX_EVENT_PAGE,
  MAX_PUBLISHED_TYPES,
  listPublishedEventTypes,
  searchEvents,
} from './events/event-search.js';
export type { EventSearch, EventSummary } from './events/event-search.js';
export { sendTestEvent } from './events/test-event.js';
export type { SentTestEvent, TestEventInput } from './events/test-event.js';
export { getWebhookActivity } from './deliveries/webhook-activity.js';
export type { ActivityBucket } from './deliveries/webhook-activity.js';
export { getReplayProgress } from './deliveries/replay-progress.js';
export type { ReplayProgress } from './deliveries/replay-progress.js';
export type { EventAttempt, EventDelivery, EventWithDeliveries } from './events/events.service.js';
export { GroupCommitter, isTransientDbError, retryOnConflict } from './recording/group-commit.js';
export type { GroupCommitOptions } from './recording/group-commit.js';
export { EndpointGate, PLATFORM_PACING, effectiveRateLimit } from './gate/endpoint-gate.js';
export type {
  Admission,
  EndpointGateOptions,
  GateRateLimit,
  GateWaitReason,
  PlatformPace,
} from './gate/endpoint-gate.js';
export { createSharedState } from './shared/create-shared-state.js';
export type { SharedStateSource } from './shared/create-shared-state.js';
export { createRedisSharedState } from './shared/redis-shared-state.js';
export { WEBHOOK_CHANGES_CHANNEL, createPostgresSharedState } from './shared/postgres-shared-state.js';
export type {
  ChangeSubscription,
  GateAdmitInput,
  GateAdmitResult,
  GateState,
  GateStore,
  LimitStore,
  SharedState,
  WebhookChangeFeed,
} from './shared/shared-state.js';
export { proposeFormat } from './render/detect.js';
export type { ProposedFormat } from './render/detect.js';
export { DISCORD_LIMITS, discordEmbedLength, renderDiscord } from './render/discord.js';
export type { DiscordEmbed, DiscordMessage, DiscordRenderOptions } from './render/discord.js';
export { TELEGRAM_TEXT_LIMIT, renderTelegram } from './render/telegram.js';
export type { TelegramMessage, TelegramRenderOptions } from './render/telegram.js';
export { SLACK_LIMITS, renderSlack } from './render/slack.js';
export type { SlackBlock, SlackMessage, SlackRenderOptions } from './render/slack.js';
export { eventFamily, titleFromType } from './render/event.js';
export type { EventFamily, RenderableEvent } from './render/event.js';
export { pruneOldData } from './retention/retention.js';
export type { PruneOptions, PruneResult } from './retention/retention.js';
