export { classifyAddress, isForbiddenAddress } from './address.js';
export type {
  AddressCategory,
  AddressClassification,
  AddressPolicy,
  AddressVerdict,
  Ipv4Embedding,
} from './address.js';
export { validateWebhookUrl, MAX_WEBHOOK_URL_LENGTH } from './webhook-url.js';
export type { ValidateWebhookUrlOptions, WebhookUrlValidation } from './webhook-url.js';
export { createGuardedAgent, createGuardedConnector, BlockedAddressError } from './guarded-agent.js';
export type {
  BlockedConnection,
  GuardedAgentOptions,
  GuardedAgentPoolOptions,
  GuardedConnectorOptions,
  GuardedTlsOptions,
} from './guarded-agent.js';
export { resolveWithSystem, ResolveTimeoutError } from './resolve.js';
export type { Resolver } from './resolve.js';
