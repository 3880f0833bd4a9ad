import type { z } from 'zod';
import { StartupError } from '@herald/core';
import { adminEnvSchema, cliEnvSchema, startEnvSchema, workerEnvSchema } from './schemas.js';
import type { AdminConfig, CliConfig, StartConfig, WorkerConfig } from './schemas.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Start-up refused: `problems` has one entry per bad variable. */
export class ConfigError extends StartupError {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(
      `Invalid configuration (${problems.map((p) => p.variable).join(', ')}):\n` +
        problems.map((p) => `  ${p.variable} ${p.message}`).join('\n'),
    );
  }
}

// Compose and shells pass `X=` for "unset"; treat it so rather than as a value.
function withoutEmpty(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

function problemsOf(error: z.ZodError): { variable: string; message: string }[] {
  const byVariable = new Map<string, string>();
  for (const issue of error.issues) {
    const variable = String(issue.path[0] ?? 'environment');
    // The first issue per variable is the useful one; values are never echoed.
    if (!byVariable.has(variable)) byVariable.set(variable, issue.message);
  }
  return [...byVariable].map(([variable, message]) => ({ variable, message }));
}

function load<S extends z.ZodType>(schema: S, env: Env): Readonly<z.output<S>> {
  const result = schema.safeParse(withoutEmpty(env));
  if (!result.success) throw new ConfigError(problemsOf(result.error));
  return Object.freeze(result.data);
}

export const loadAdminConfig = (env: Env): Readonly<AdminConfig> => load(adminEnvSchema, env);
export const loadWorkerConfig = (env: Env): Readonly<WorkerConfig> => load(workerEnvSchema, env);
export const loadCliConfig = (env: Env): Readonly<CliConfig> => load(cliEnvSchema, env);
/** `pnpm start`'s own variables (HERALD_EMBEDDED, HERALD_DATA_DIR). */
export const loadStartConfig = (env: Env): Readonly<StartConfig> => load(startEnvSchema, env);

/**
 * Validates several apps' variables at once (used by `pnpm start`, which runs
 * admin and worker) and reports every bad variable in one error.
 */
export function checkEnv(env: Env, loaders: readonly ((env: Env) => unknown)[]): void {
  const problems = new Map<string, string>();
  for (const loader of loaders) {
    try {
      loader(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const p of error.problems) if (!problems.has(p.variable)) problems.set(p.variable, p.message);
    }
  }
  if (problems.size > 0) {
    throw new ConfigError([...problems].map(([variable, message]) => ({ variable, message })));
  }
}
