import type { Env, StartConfig } from '@herald/config';

/** The variables that say where real services are; any of them set means "not embedded" under auto. */
export const SERVICE_VARIABLES = [
  'DATABASE_URL',
  'REDIS_URL',
  'HERALD_REDIS_CLUSTER_NODES',
  'HERALD_REDIS_SENTINELS',
] as const;

export interface StartModeInput {
  embedded: StartConfig['embedded'];
  /** The service variables set (non-empty) in the environment. */
  servicesConfigured: readonly string[];
  /** What answered at the default local addresses; undefined when not probed. */
  local: { postgres: boolean; redis: boolean } | undefined;
}

export type StartModeDecision =
  | { mode: 'embedded'; reason: string }
  | { mode: 'services'; reason: string }
  /** auto with nothing configured: the answer depends on probing the default addresses. */
  | { mode: 'probe' };

/** Which service variables are set; empty values count as unset (as in @herald/config). */
export function configuredServices(env: Env): string[] {
  return SERVICE_VARIABLES.filter((name) => (env[name] ?? '') !== '');
}

/**
 * `pnpm start`'s choice between the embedded database and real services.
 * Pure: the caller probes the default addresses when this answers `probe`,
 * then asks again with `local` filled in.
 */
export function decideStartMode(input: StartModeInput): StartModeDecision {
  if (input.embedded === 'always') return { mode: 'embedded', reason: 'HERALD_EMBEDDED=always' };
  if (input.embedded === 'never') return { mode: 'services', reason: 'HERALD_EMBEDDED=never' };
  if (input.servicesConfigured.length > 0) {
    return { mode: 'services', reason: `${input.servicesConfigured.join(', ')} set` };
  }
  if (input.local === undefined) return { mode: 'probe' };
  const answering = [input.local.postgres && 'Postgres', input.local.redis && 'Redis'].filter(Boolean);
  if (answering.length > 0) {
    return { mode: 'services', reason: `${answering.join(' and ')} answered at the default address` };
  }
  return {
    mode: 'embedded',
    reason: 'no DATABASE_URL or REDIS_URL, and nothing answered at 127.0.0.1:5432 or 127.0.0.1:6379',
  };
}

/** decideStartMode, probing the default local addresses with `detect` when needed. */
export async function chooseStartMode(
  embedded: StartConfig['embedded'],
  env: Env,
  detect: () => Promise<{ postgres: boolean; redis: boolean }>,
): Promise<{ mode: 'embedded' | 'services'; reason: string }> {
  const servicesConfigured = configuredServices(env);
  const first = decideStartMode({ embedded, servicesConfigured, local: undefined });
  if (first.mode !== 'probe') return first;
  const second = decideStartMode({ embedded, servicesConfigured, local: await detect() });
  if (second.mode === 'probe') throw new Error('unreachable: start mode still undecided after probing');
  return second;
}
