export { checkReadiness } from './readiness.js';
export type { Check, ReadinessReport } from './readiness.js';
export { closeServer, createHealthServer, listen } from './health-server.js';
export type { HealthServerOptions } from './health-server.js';
export { createMetrics, metricsHandler, statusClass } from './metrics.js';
export type {
  AttemptFacts,
  CreateMetricsOptions,
  DeliveryOutcomeLabel,
  HeraldMetrics,
  MetricsQueue,
} from './metrics.js';
