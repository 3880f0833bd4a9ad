export { Herald } from './herald.js';
export type {
  BackendClientOptions,
  HeraldOptions,
  PublishInput,
  PublishResult,
  RedisClientOptions,
} from './herald.js';
export { HeraldApiError, MAX_BATCH_EVENTS } from './http-transport.js';
export type { HttpClientOptions } from './http-transport.js';
// For servers that publish on Herald's behalf (the HTTP API): the same
// validation and job shape as Herald.publish, on a queue they already hold.
export {
  buildEventJob,
  buildEventJobs,
  checkEventFields,
  enqueueEventJob,
  enqueueEventJobs,
} from './event-jobs.js';
export type { EventForApp } from './event-jobs.js';
export { WebhookVerificationError, verifyWebhook } from '@herald/signing';
