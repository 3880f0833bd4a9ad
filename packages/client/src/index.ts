export { Herald } from './herald.js';
export type { PublishInput, PublishResult, RedisClientOptions } from './herald.js';
export { WebhookVerificationError, verifyWebhook } from '@herald/signing';
