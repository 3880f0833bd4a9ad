import { z } from 'zod';
import { adminPasswordProblem } from '@herald/core';

/**
 * Field builders shared by the per-app schemas in `schemas.ts`. Each takes the
 * raw environment string and yields a typed value with the contract's default
 * (DESIGN.md §7). Empty strings are treated as unset before these run.
 */

export const strictBoolean = (fallback: boolean) =>
  z.stringbool({ truthy: ['true', '1'], falsy: ['false', '0'], case: 'sensitive' }).default(fallback);

export const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback);

export const port = (fallback: number) => integer(fallback, 0, 65_535);

const urlWithProtocols = (protocols: string[], what: string, allowSocketHost = false) =>
  z.string().refine(
    (value) => {
      try {
        const url = new URL(value);
        // node-postgres takes a Unix socket directory as ?host=/run/postgresql (no host part).
        const socket =
          allowSocketHost && url.hostname === '' && /^\//.test(url.searchParams.get('host') ?? '');
        return protocols.includes(url.protocol) && (url.hostname !== '' || socket);
      } catch {
        return false;
      }
    },
    `must be a ${what} URL (${protocols.map((p) => `${p}//`).join(' or ')}…)`,
  );

export const postgresUrl = urlWithProtocols(['postgres:', 'postgresql:'], 'Postgres', true);
export const redisUrl = urlWithProtocols(['redis:', 'rediss:'], 'Redis');

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port,host:port` (IPv6 hosts in brackets). */
export const hostPortList = z.string().transform((value, ctx): HostPort[] => {
  const out: HostPort[] = [];
  for (const part of value.split(',')) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(part.trim());
    const portNumber = match ? Number(match[2]) : 0;
    if (!match || portNumber < 1 || portNumber > 65_535) {
      ctx.addIssue({ code: 'custom', message: `"${part.trim()}" is not host:port` });
      return z.NEVER;
    }
    out.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port: portNumber });
  }
  return out;
});

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses `250ms`, `5s`, `30m`, `2h`, `1d` into milliseconds; undefined if malformed. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
}

/** One duration (`30m`, `5d`) between min and max, into milliseconds. */
export const duration = (fallback: string, minMs: number, maxMs: number) =>
  z
    .string()
    .transform((value, ctx): number => {
      const ms = parseDurationMs(value);
      if (ms === undefined || ms < minMs || ms > maxMs) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration like 30m, 12h or 5d within bounds' });
        return z.NEVER;
      }
      return ms;
    })
    .prefault(fallback);

const MAX_RETRY_DELAY_MS = 7 * 86_400_000;

/** `5s,5m,30m,2h,5h,10h,10h`: delays after the first attempt. */
export const retrySchedule = (fallback: string) =>
  z
    .string()
    .transform((value, ctx): number[] => {
      const parts = value.split(',');
      if (parts.length > 50) {
        ctx.addIssue({ code: 'custom', message: 'at most 50 retries' });
        return z.NEVER;
      }
      const delays: number[] = [];
      for (const part of parts) {
        const ms = parseDurationMs(part);
        if (ms === undefined || ms < 1_000 || ms > MAX_RETRY_DELAY_MS) {
          ctx.addIssue({
            code: 'custom',
            message: `"${part.trim()}" is not a delay between 1s and 7d (like 5s, 30m, 2h)`,
          });
          return z.NEVER;
        }
        delays.push(ms);
      }
      return delays;
    })
    .prefault(fallback);

export const queueBackend = z.enum(['redis', 'postgres']).default('redis');

/** `pnpm start`: `auto` = embedded when no service is configured and none answers locally. */
export const embeddedMode = z
  .enum(['auto', 'always', 'never'], { error: 'must be auto, always or never' })
  .default('auto');

/** A directory path: no NUL byte, not blank; relative paths are taken from the working directory. */
export const directoryPath = z
  .string()
  .refine((value) => value.trim() !== '' && !value.includes('\0'), 'must be a directory path');

export const queuePrefix = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1–32 letters, digits, "_" or "-"')
  .optional(); // `herald` (Redis only: Postgres-only mode has no key prefix)

/** A 32-byte key in standard base64. */
export const secretKey = z.string().refine((value) => {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  return Buffer.from(value, 'base64').length === 32;
}, 'must be 32 random bytes in standard base64 (openssl rand -base64 32)');

export const secretKeyList = z.string().transform((value, ctx): string[] => {
  const keys = value.split(',').map((k) => k.trim());
  for (const key of keys) {
    if (!secretKey.safeParse(key).success) {
      ctx.addIssue({ code: 'custom', message: 'every key must be 32 bytes in standard base64' });
      return z.NEVER;
    }
  }
  return keys;
});

export const nodeEnv = z.enum(['development', 'production', 'test']).default('development');

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

export const email = z.email('must be an email address');

// The same rule as creating the admin (@herald/core), so start-up refuses what the admin app would.
export const adminPassword = z.string().superRefine((value, ctx) => {
  const problem = adminPasswordProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

export const bearerToken = z.string().min(16, 'must be at least 16 characters');
