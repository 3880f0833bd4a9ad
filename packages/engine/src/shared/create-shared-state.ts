import type { PgPool, RedisConnection } from '@herald/queue';
import { createPostgresSharedState } from './postgres-shared-state.js';
import { createRedisSharedState } from './redis-shared-state.js';
import type { SharedState } from './shared-state.js';

/** The datastore beside the queues: Redis (keys under `prefix`) or the Herald database. */
export type SharedStateSource =
  { kind: 'redis'; redis: RedisConnection; prefix: string } | { kind: 'postgres'; pool: PgPool };

export function createSharedState(source: SharedStateSource): SharedState {
  return source.kind === 'redis'
    ? createRedisSharedState(source.redis, source.prefix)
    : createPostgresSharedState(source.pool);
}
