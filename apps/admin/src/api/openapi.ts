import { z } from 'zod';
import { HERALD_VERSION } from '@herald/core';
import {
  ErrorSchema,
  EventBatchSchema,
  EventInputSchema,
  EventSchema,
  ListQuerySchema,
  ReplaySchema,
  AttemptSchema,
  DeliverySchema,
  RetrySchema,
  RotateSecretSchema,
  WebhookCreateSchema,
  WebhookPageSchema,
  WebhookSchema,
  WebhookUpdateSchema,
  WebhookWithSecretSchema,
} from './schemas.js';

type JsonObject = Record<string, unknown>;

// Every schema with a `.meta({ id })` becomes a component; the others are inlined.
const COMPONENTS = [
  AttemptSchema,
  DeliverySchema,
  EventInputSchema,
  EventBatchSchema,
  EventSchema,
  WebhookCreateSchema,
  WebhookUpdateSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
  WebhookPageSchema,
  RotateSecretSchema,
  ReplaySchema,
  RetrySchema,
  ErrorSchema,
];

function componentName(schema: z.ZodType): string {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new Error('component schema without an id');
  return id;
}

const ref = (schema: z.ZodType): JsonObject => ({ $ref: `#/components/schemas/${componentName(schema)}` });

function json(schema: z.ZodType, description: string): JsonObject {
  return { description, content: { 'application/json': { schema: ref(schema) } } };
}

const error = (description: string): JsonObject => json(ErrorSchema, description);

/** A webhook answer that may carry a URL warning (a host that does not resolve yet). */
function withUrlWarning(response: JsonObject): JsonObject {
  return {
    ...response,
    headers: {
      Warning: {
        description: 'Set when the URL was accepted with a warning: `299 herald "host … did not resolve …"`',
        schema: { type: 'string' },
      },
    },
  };
}

const COMMON = {
  '401': error('Missing, unknown or revoked API key'),
  '429': {
    ...error('Over the per-key rate limit'),
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds' } },
  },
};
const WITH_BODY = {
  '400': error('Malformed JSON'),
  '413': error('Body (or one event’s data) over its size limit'),
  '415': error('Content-Type is not application/json'),
  '422': error('Invalid fields; details name each (with index for batch items)'),
};
const FULL = { '403': error('The key has scope ingest (it may only publish events)') };

function body(schema: z.ZodType, required = true): JsonObject {
  return { required, content: { 'application/json': { schema: ref(schema) } } };
}

const idParam = (name: string, example: string): JsonObject => ({
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: `${name} id`,
  example,
});

function queryParams(): JsonObject[] {
  const schema = z.toJSONSchema(ListQuerySchema, { io: 'input' }) as {
    properties: Record<string, JsonObject>;
  };
  return Object.entries(schema.properties).map(([name, s]) => ({
    name,
    in: 'query',
    required: false,
    schema: s,
  }));
}

function components(): Record<string, JsonObject> {
  // Converting the registry (not each schema) makes nested schemas with an
  // id references (`$ref`) instead of copies.
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    uri: (id: string) => `#/components/schemas/${id}`,
  });
  const out: Record<string, JsonObject> = {};
  for (const schema of COMPONENTS) {
    const name = componentName(schema);
    const doc = { ...(schemas[name] as JsonObject) };
    delete doc['$schema'];
    delete doc['$id'];
    delete doc['id'];
    out[name] = doc;
  }
  return out;
}

/** The OpenAPI 3.1 document, generated from the schemas that validate requests. */
export function buildOpenApiDocument(): JsonObject {
  const webhookId = idParam('Webhook', 'wh_01JDQ7Z1V3N8G4XK2M6R9T5B7C');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Herald API',
      version: HERALD_VERSION,
      description:
        'Publish events and manage webhooks of the app an API key belongs to. Errors are ' +
        '{"error":{"code","message","details?"}}. Another app’s resources answer 404.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key, hk_…' } },
      schemas: components(),
    },
    paths: {
      '/events': {
        post: {
          summary: 'Publish one event',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 256 },
              description: 'Same as the body’s idempotencyKey; both given must agree.',
            },
          ],
          requestBody: body(EventInputSchema),
          responses: {
            '202': {
              description: 'Accepted (a repeat of the idempotency key answers the first id)',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
                },
              },
            },
            ...COMMON,
            ...WITH_BODY,
          },
        },
      },
      '/events/batch': {
        post: {
          summary: 'Publish up to 1,000 events; one invalid item and nothing is published',
          requestBody: body(EventBatchSchema),
          responses: {
            '202': {
              description: 'Accepted; ids in input order',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { ids: { type: 'array', items: { type: 'string' } } },
                    required: ['ids'],
                  },
                },
              },
            },
            ...COMMON,
            ...WITH_BODY,
          },
        },
      },
      '/events/{id}': {
        get: {
          summary: 'One event with its deliveries and their attempts',
          parameters: [idParam('Event', 'msg_01JDQ7Z1V3N8G4XK2M6R9T5B7C')],
          responses: { '200': json(EventSchema, 'The event'), '404': error('Unknown'), ...COMMON, ...FULL },
        },
      },
      '/webhooks': {
        get: {
          summary: 'List webhooks, oldest first',
          parameters: queryParams(),
          responses: {
            '200': json(WebhookPageSchema, 'One page'),
            '422': error('Bad limit or cursor'),
            ...COMMON,
            ...FULL,
          },
        },
        post: {
          summary: 'Create a webhook (only url is required); the secret is shown here once',
          requestBody: body(WebhookCreateSchema),
          responses: {
            '201': withUrlWarning(json(WebhookWithSecretSchema, 'Created')),
            ...COMMON,
            ...WITH_BODY,
            ...FULL,
          },
        },
      },
      '/webhooks/{id}': {
        get: {
          summary: 'One webhook',
          parameters: [webhookId],
          responses: {
            '200': json(WebhookSchema, 'The webhook'),
            '404': error('Unknown'),
            ...COMMON,
            ...FULL,
          },
        },
        patch: {
          summary: 'Change some fields (enabled: false pauses, true resumes)',
          parameters: [webhookId],
          requestBody: body(WebhookUpdateSchema),
          responses: {
            '200': withUrlWarning(json(WebhookSchema, 'The webhook')),
            '404': error('Unknown'),
            ...COMMON,
            ...WITH_BODY,
            ...FULL,
          },
        },
        delete: {
          summary: 'Delete; its waiting deliveries are cancelled',
          parameters: [webhookId],
          responses: { '204': { description: 'Deleted' }, '404': error('Unknown'), ...COMMON, ...FULL },
        },
      },
      '/webhooks/{id}/rotate-secret': {
        post: {
          summary: 'New signing secret; the old one also signs for graceSeconds',
          parameters: [webhookId],
          requestBody: body(RotateSecretSchema, false),
          responses: {
            '200': json(WebhookWithSecretSchema, 'Rotated'),
            '404': error('Unknown'),
            ...COMMON,
            ...WITH_BODY,
            ...FULL,
          },
        },
      },
      '/webhooks/{id}/replay': {
        post: {
          summary: 'Send again the deliveries created in [since, until)',
          parameters: [webhookId],
          requestBody: body(ReplaySchema),
          responses: {
            '202': {
              description: 'Queued',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { replayId: { type: 'string' }, count: { type: 'integer' } },
                    required: ['replayId', 'count'],
                  },
                },
              },
            },
            '404': error('Unknown'),
            ...COMMON,
            ...WITH_BODY,
            ...FULL,
          },
        },
      },
      '/deliveries/{id}/retry': {
        post: {
          summary: 'Send one delivery again now, with a fresh retry schedule',
          parameters: [idParam('Delivery', 'dlv_01JDQ7Z1V3N8G4XK2M6R9T5B7C')],
          requestBody: body(RetrySchema, false),
          responses: {
            '202': { description: 'Queued' },
            '404': error('Unknown'),
            '409': error('An attempt of this delivery is in flight; retry once it has ended'),
            '422': error('Its webhook was deleted or its payload pruned'),
            ...COMMON,
            ...FULL,
          },
        },
      },
    },
  };
}
