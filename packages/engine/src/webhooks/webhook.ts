import type { WebhookFormat, WebhookRow, WebhookState } from '@herald/db';

/** A webhook as the API, CLI and panel show it (never its secret). */
export interface Webhook {
  id: string;
  appId: string;
  url: string;
  description: string;
  userAgent: string | null;
  events: string[];
  format: WebhookFormat;
  headers: Record<string, string>;
  enabled: boolean;
  state: WebhookState;
  disabledReason: string | null;
  rateLimitPerSecond: number | null;
  previousSecretExpiresAt: Date | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    appId: row.app_id,
    url: row.url,
    description: row.description,
    userAgent: row.user_agent,
    events: row.event_types,
    format: row.format,
    headers: row.headers,
    enabled: row.state === 'enabled',
    state: row.state,
    disabledReason: row.disabled_reason,
    rateLimitPerSecond: row.rate_limit_per_second,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    failingSince: row.failing_since,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The webhook object of the public contract (DESIGN §7): what the HTTP API
 * answers and the CLI prints. `Webhook` carries more (state, failing since…).
 */
export function toPublicWebhook(w: Webhook) {
  return {
    id: w.id,
    url: w.url,
    description: w.description,
    userAgent: w.userAgent,
    events: w.events,
    format: w.format,
    headers: w.headers,
    enabled: w.enabled,
    disabledReason: w.disabledReason,
    rateLimitPerSecond: w.rateLimitPerSecond,
    createdAt: w.createdAt.toISOString(),
  };
}

export type PublicWebhook = ReturnType<typeof toPublicWebhook>;
