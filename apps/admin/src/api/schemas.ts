import { z } from 'zod';
import {
  EVENT_TYPE_PATTERN,
  MAX_EVENT_DATA_BYTES,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  type FieldIssue,
} from '@herald/core';
import { DELIVERY_STATUSES, WEBHOOK_FORMATS } from '@herald/db';
import { MAX_WEBHOOK_URL_LENGTH } from '@herald/net';

// The request schemas validate requests and generate /api/v1/openapi.json
// (openapi.ts), so the document cannot drift from what the API accepts. The
// library re-checks every rule (checkEventInput, checkWebhookFields,
// validateWebhookUrl); these catch the shape and name the field first.

export const MAX_BATCH_EVENTS = 1000;
const ID_TEXT = /^[a-z]{2,3}_[0-9A-HJKMNP-TV-Z]{26}$/;

/** The idempotency key rule, shared by the body field and the `Idempotency-Key` header. */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(MAX_IDEMPOTENCY_KEY_LENGTH)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .meta({ description: 'Repeats with this key (per app) within 24 h return the first event id.' });

/**
 * A JSON object taken as it came in: a `z.record` would rebuild it and
 * silently drop a key named "__proto__", which `Herald.publish`, the CLI and
 * the panel keep (Postgres stores it, receivers get it). So the object is
 * checked, not copied; its JSON Schema is what the record's would be.
 */
function jsonObject<V>(
  valueOk: (value: unknown) => boolean,
  message: string,
  schema: Record<string, unknown>,
): z.ZodType<Record<string, V>> {
  const ok = (value: unknown): boolean =>
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value as Record<string, unknown>).every(valueOk);
  return z
    .unknown()
    .refine(ok, message)
    .meta({ type: 'object', ...schema }) as unknown as z.ZodType<Record<string, V>>;
}

const EventDataSchema = jsonObject<unknown>(() => true, 'must be a JSON object', {
  additionalProperties: {},
  description: `Any JSON object, at most ${MAX_EVENT_DATA_BYTES} bytes serialized (413 beyond).`,
  examples: [{ user: 'u_42', ip: '203.0.113.7' }],
});

export const EventInputSchema = z
  .strictObject({
    type: z
      .string()
      .regex(EVENT_TYPE_PATTERN, 'must be 1–256 characters of letters, digits, "_", "." or "-"')
      .meta({ examples: ['auth.login.failed'] }),
    data: EventDataSchema,
    idempotencyKey: IdempotencyKeySchema.optional(),
  })
  .superRefine((event, ctx) => {
    let bytes: number;
    try {
      bytes = Buffer.byteLength(JSON.stringify(event.data), 'utf8');
    } catch {
      return; // the library names it (cycles cannot come from JSON anyway)
    }
    if (bytes > MAX_EVENT_DATA_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['data'],
        message: `must be at most ${MAX_EVENT_DATA_BYTES} bytes as JSON (is ${bytes})`,
        params: { tooLarge: true },
      });
    }
  })
  .meta({ id: 'EventInput' });

export const EventBatchSchema = z
  .strictObject({ events: z.array(EventInputSchema).min(1).max(MAX_BATCH_EVENTS) })
  .meta({ id: 'EventBatch' });

const webhookFields = {
  url: z
    .string()
    .max(MAX_WEBHOOK_URL_LENGTH)
    .meta({
      description: 'http or https; no userinfo; private and reserved addresses are refused.',
      examples: ['https://example.com/hooks/herald'],
    }),
  description: z.string().max(1000),
  userAgent: z.string().max(512).nullable().meta({ description: 'null or "" = Herald-Webhooks/<version>' }),
  events: z
    .array(z.string().max(256))
    .max(100)
    .meta({ description: 'Event types or prefix wildcards (auth.*); empty = all.', examples: [['auth.*']] }),
  format: z.enum(WEBHOOK_FORMATS),
  // Names and values are checked by the engine (checkWebhookFields), as for the panel and the CLI.
  headers: jsonObject<string>(
    (value) => typeof value === 'string',
    'must be an object of header names to text',
    {
      propertyNames: { type: 'string', maxLength: 100 },
      additionalProperties: { type: 'string', maxLength: 1000 },
      description: 'Custom headers; cannot override content-type, user-agent, webhook-*, herald-*.',
    },
  ),
  rateLimitPerSecond: z.int().min(1).max(100_000).nullable(),
  enabled: z.boolean().meta({ description: 'false pauses the webhook: deliveries are held, not attempted.' }),
};

export const WebhookCreateSchema = z
  .strictObject({
    url: webhookFields.url,
    description: webhookFields.description.optional(),
    userAgent: webhookFields.userAgent.optional(),
    events: webhookFields.events.optional(),
    format: webhookFields.format.optional(),
    headers: webhookFields.headers.optional(),
    rateLimitPerSecond: webhookFields.rateLimitPerSecond.optional(),
    enabled: webhookFields.enabled.optional(),
  })
  .meta({ id: 'WebhookCreate' });

export const WebhookUpdateSchema = WebhookCreateSchema.partial().meta({ id: 'WebhookUpdate' });

export const RotateSecretSchema = z
  .strictObject({
    graceSeconds: z
      .int()
      .min(0)
      .max(30 * 24 * 3600)
      .optional()
      .meta({ description: 'How long the old secret keeps signing too (default 86400).' }),
  })
  .meta({ id: 'RotateSecret' });

export const ReplaySchema = z
  .strictObject({
    since: z.iso.datetime({ offset: true }),
    until: z.iso.datetime({ offset: true }).optional(),
    status: z.enum(['dead', 'failed']).optional().meta({
      description: 'Only these; default: every succeeded, failed and dead delivery in the window.',
    }),
  })
  .meta({ id: 'Replay' });

export const ListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional().meta({ description: 'default 100' }),
  cursor: z.string().regex(ID_TEXT, 'must be the nextCursor of the previous page').optional(),
});

// Responses (documentation only: the presenters below build them).

const timestamp = z.iso.datetime();

export const WebhookSchema = z
  .strictObject({
    id: z.string().meta({ examples: ['wh_01JDQ7Z1V3N8G4XK2M6R9T5B7C'] }),
    url: z.string(),
    description: z.string(),
    userAgent: z.string().nullable(),
    events: z.array(z.string()),
    format: z.enum(WEBHOOK_FORMATS),
    headers: z.record(z.string(), z.string()),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    rateLimitPerSecond: z.int().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'Webhook' });

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().meta({ description: 'whsec_…; returned only by create and rotate-secret.' }),
}).meta({ id: 'WebhookWithSecret' });

export const WebhookPageSchema = z
  .strictObject({ data: z.array(WebhookSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'WebhookPage' });

export const AttemptSchema = z
  .strictObject({
    id: z.string(),
    attempt: z.int(),
    outcome: z.enum(['success', 'http_error', 'timeout', 'network_error', 'blocked']),
    statusCode: z.int().nullable(),
    durationMs: z.int(),
    responseSnippet: z.string().nullable(),
    error: z.string().nullable(),
    startedAt: timestamp,
  })
  .meta({ id: 'Attempt' });

export const DeliverySchema = z
  .strictObject({
    id: z.string(),
    webhookId: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attemptCount: z.int(),
    nextAttemptAt: timestamp.nullable(),
    lastAttemptAt: timestamp.nullable(),
    lastStatusCode: z.int().nullable(),
    lastError: z.string().nullable(),
    createdAt: timestamp,
    attempts: z.array(AttemptSchema),
  })
  .meta({ id: 'Delivery' });

export const EventSchema = z
  .strictObject({
    id: z.string(),
    type: z.string(),
    timestamp,
    data: z.record(z.string(), z.unknown()).nullable().meta({ description: 'null once pruned' }),
    idempotencyKey: z.string().nullable(),
    status: z.enum(['queued', 'recorded']).meta({
      description: 'queued: accepted, not fanned out yet (no deliveries); recorded: in the database.',
    }),
    deliveries: z.array(DeliverySchema),
  })
  .meta({ id: 'Event' });

export const ErrorSchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string(),
      message: z.string(),
      details: z
        .array(z.strictObject({ field: z.string(), message: z.string(), index: z.int().optional() }))
        .optional(),
    }),
  })
  .meta({ id: 'Error' });

/** Zod issues as the API reports them: `{field, message, index?}` (index for batch items). */
export function toFieldIssues(issues: readonly z.core.$ZodIssue[], batchKey?: string): FieldIssue[] {
  return issues.flatMap((issue) => {
    let path = issue.path.map(String);
    let index: number | undefined;
    if (batchKey !== undefined && path[0] === batchKey && typeof issue.path[1] === 'number') {
      index = issue.path[1];
      path = path.slice(2);
    }
    const at = index === undefined ? {} : { index };
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: [...path, key].join('.'),
        message: 'is not a known field',
        ...at,
      }));
    }
    return [
      {
        field: path.length === 0 ? (index === undefined ? 'body' : 'event') : path.join('.'),
        message: issue.message,
        ...at,
      },
    ];
  });
}

/** True when an issue is a size limit (the answer is then 413, not 422). */
export function isTooLarge(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && (issue.params as { tooLarge?: unknown } | undefined)?.tooLarge === true;
}

/** POST /deliveries/:id/retry takes no options (an empty object or no body). */
export const RetrySchema = z.strictObject({}).meta({ id: 'Retry' });
