import type { AdminConfig } from '@herald/config';

/** What the admin app's routers need from the configuration (tests build it directly). */
export interface AdminSettings {
  nodeEnv: AdminConfig['nodeEnv'];
  /** Behind one reverse proxy: client IP and https come from X-Forwarded-* (secure cookies need it). */
  trustProxy?: boolean;
  apiRateLimitPerSecond: number;
  apiMaxBodyBytes: number;
  apiMaxBatchBytes: number;
  metricsToken: string | undefined;
  /** Keys the panel's session cookie signature (main derives it from HERALD_SECRET_KEY). */
  sessionSecret?: Buffer;
}

export function toAdminSettings(config: AdminConfig): AdminSettings {
  return {
    nodeEnv: config.nodeEnv,
    trustProxy: config.trustProxy,
    apiRateLimitPerSecond: config.apiRateLimitPerSecond,
    apiMaxBodyBytes: config.apiMaxBodyBytes,
    apiMaxBatchBytes: config.apiMaxBatchBytes,
    metricsToken: config.metricsToken,
  };
}
