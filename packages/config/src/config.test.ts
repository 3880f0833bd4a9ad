import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  checkEnv,
  loadAdminConfig,
  loadCliConfig,
  loadStartConfig,
  loadWorkerConfig,
  resolveSecretKeys,
} from './index.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.variable);
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadAdminConfig / loadWorkerConfig', () => {
  test('when the environment is empty, the contract defaults apply', () => {
    const admin = loadAdminConfig({});
    expect(admin.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/herald');
    expect(admin.redis).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379' });
    expect(admin.port).toBe(3000);
    expect(admin.queueBackend).toBe('redis');
    expect(admin.queuePrefix).toBe('herald');
    expect(admin.allowPrivateNetworks).toBe(false);
    expect(admin.apiRateLimitPerSecond).toBe(100);
    expect(admin.apiMaxBodyBytes).toBe(262_144);
    expect(admin.apiMaxBatchBytes).toBe(16_777_216);
    expect(admin.initialAdmin).toBeUndefined();
    expect(admin.trustProxy).toBe(false);
    expect(loadAdminConfig({ HERALD_TRUST_PROXY: '1' }).trustProxy).toBe(true);
    const worker = loadWorkerConfig({});
    expect(worker.port).toBe(9464);
    expect(worker.retryScheduleMs).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ]);
    expect(worker.deliveryTimeoutMs).toBe(15_000);
    expect(worker.concurrency).toBe(100);
    expect(worker.breakerFailures).toBe(20);
    expect(worker.breakerOpenSeconds).toBe(30);
    expect(worker.disableAfterMs).toBe(5 * 86_400_000);
    expect(worker.retentionMs).toBe(30 * 86_400_000);
    expect(worker.payloadRetentionMs).toBe(30 * 86_400_000);
    expect(loadWorkerConfig({ HERALD_PAYLOAD_RETENTION: '7d' }).payloadRetentionMs).toBe(7 * 86_400_000);
    expect(problemsOf(() => loadWorkerConfig({ HERALD_RETENTION: '1h' }))).toEqual(['HERALD_RETENTION']);
  });

  test('when HERALD_DISABLE_AFTER is set, it is parsed; nonsense is refused', () => {
    expect(loadWorkerConfig({ HERALD_DISABLE_AFTER: '12h' }).disableAfterMs).toBe(43_200_000);
    expect(problemsOf(() => loadWorkerConfig({ HERALD_DISABLE_AFTER: 'soon' }))).toEqual([
      'HERALD_DISABLE_AFTER',
    ]);
  });

  test('when the config is loaded, the result is frozen', () => {
    expect(Object.isFrozen(loadWorkerConfig({}))).toBe(true);
  });

  test('when the worker reads its port, PORT is ignored and HERALD_WORKER_PORT wins', () => {
    expect(loadWorkerConfig({ PORT: '1234' }).port).toBe(9464);
    expect(loadWorkerConfig({ HERALD_WORKER_PORT: '0' }).port).toBe(0);
  });

  test.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('when HERALD_ALLOW_PRIVATE_NETWORKS=%s, it reads %s', (value, expected) => {
    expect(loadCliConfig({ HERALD_ALLOW_PRIVATE_NETWORKS: value }).allowPrivateNetworks).toBe(expected);
  });

  test.each(['yes', 'TRUE', 'on', '2', ' true'])('when a boolean is "%s", start-up is refused', (value) => {
    expect(problemsOf(() => loadCliConfig({ HERALD_ALLOW_PRIVATE_NETWORKS: value }))).toEqual([
      'HERALD_ALLOW_PRIVATE_NETWORKS',
    ]);
  });

  test('when several variables are bad, one error names every one of them', () => {
    const error = (() => {
      try {
        loadWorkerConfig({
          DATABASE_URL: 'nonsense',
          REDIS_URL: 'nonsense',
          HERALD_WORKER_CONCURRENCY: '-3',
          HERALD_RETRY_SCHEDULE: '5s,forever',
        });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected failure');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'DATABASE_URL',
      'HERALD_RETRY_SCHEDULE',
      'HERALD_WORKER_CONCURRENCY',
      'REDIS_URL',
    ]);
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).toContain('REDIS_URL');
    expect(error.message).not.toContain('nonsense');
  });

  test('when a URL has the wrong scheme, it is refused', () => {
    expect(problemsOf(() => loadCliConfig({ DATABASE_URL: 'mysql://x/y', REDIS_URL: 'http://r' }))).toEqual([
      'DATABASE_URL',
      'REDIS_URL',
    ]);
  });

  test('when DATABASE_URL names a Unix socket directory (?host=/…), it is taken; no host at all is not', () => {
    const url = 'postgres:///herald?host=/var/run/postgresql';
    expect(loadCliConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(problemsOf(() => loadCliConfig({ DATABASE_URL: 'postgres:///herald' }))).toEqual(['DATABASE_URL']);
    expect(problemsOf(() => loadCliConfig({ DATABASE_URL: 'postgres:///herald?host=relative' }))).toEqual([
      'DATABASE_URL',
    ]);
  });

  test('when NODE_ENV=production and no HERALD_SECRET_KEY is set, start-up is refused', () => {
    expect(problemsOf(() => loadAdminConfig({ NODE_ENV: 'production' }))).toEqual(['HERALD_SECRET_KEY']);
    expect(loadAdminConfig({ NODE_ENV: 'production', HERALD_SECRET_KEY: KEY }).secretKey).toBe(KEY);
  });

  test('when HERALD_SECRET_KEY is not 32 bytes of base64, it is refused without echoing it', () => {
    const short = Buffer.alloc(16).toString('base64');
    expect(problemsOf(() => loadCliConfig({ HERALD_SECRET_KEY: short }))).toEqual(['HERALD_SECRET_KEY']);
    try {
      loadCliConfig({ HERALD_SECRET_KEY: 'not*base64', HERALD_SECRET_KEYS_OLD: `${KEY},oops` });
    } catch (error) {
      expect((error as Error).message).not.toContain('not*base64');
      expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([
        'HERALD_SECRET_KEY',
        'HERALD_SECRET_KEYS_OLD',
      ]);
    }
  });

  test('when a variable is set to the empty string, it counts as unset', () => {
    expect(loadAdminConfig({ PORT: '', HERALD_ADMIN_EMAIL: '' }).port).toBe(3000);
  });

  test('when only one of the admin email and password is set, start-up is refused', () => {
    expect(problemsOf(() => loadAdminConfig({ HERALD_ADMIN_EMAIL: 'a@example.com' }))).toEqual([
      'HERALD_ADMIN_PASSWORD',
    ]);
    expect(
      problemsOf(() =>
        loadAdminConfig({ HERALD_ADMIN_EMAIL: 'a@example.com', HERALD_ADMIN_PASSWORD: 'short' }),
      ),
    ).toEqual(['HERALD_ADMIN_PASSWORD']);
    // What creating the admin would refuse is refused here, before anything starts.
    for (const password of ['tab\tinside-password', '😀'.repeat(6), 'a'.repeat(1025)]) {
      expect(
        problemsOf(() =>
          loadAdminConfig({ HERALD_ADMIN_EMAIL: 'a@example.com', HERALD_ADMIN_PASSWORD: password }),
        ),
      ).toEqual(['HERALD_ADMIN_PASSWORD']);
    }
    expect(
      loadAdminConfig({ HERALD_ADMIN_EMAIL: 'a@example.com', HERALD_ADMIN_PASSWORD: '😀'.repeat(12) })
        .initialAdmin?.password,
    ).toBe('😀'.repeat(12));
    const ok = loadAdminConfig({
      HERALD_ADMIN_EMAIL: 'a@example.com',
      HERALD_ADMIN_PASSWORD: 'correct horse battery',
    });
    expect(ok.initialAdmin).toEqual({ email: 'a@example.com', password: 'correct horse battery' });
  });

  test('when the port or limits are out of range or not numbers, they are refused', () => {
    expect(
      problemsOf(() =>
        loadAdminConfig({ PORT: '70000', HERALD_API_RATE_LIMIT: '1e3', HERALD_API_MAX_BODY_BYTES: 'lots' }),
      ).sort(),
    ).toEqual(['HERALD_API_MAX_BODY_BYTES', 'HERALD_API_RATE_LIMIT', 'PORT']);
  });

  test('when cluster nodes are given, Redis runs in cluster mode; sentinels need a name', () => {
    expect(loadCliConfig({ HERALD_REDIS_CLUSTER_NODES: '127.0.0.1:7000,[::1]:7001' }).redis).toEqual({
      mode: 'cluster',
      url: 'redis://127.0.0.1:6379',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
      ],
    });
    expect(problemsOf(() => loadCliConfig({ HERALD_REDIS_SENTINELS: 'a:26379' }))).toEqual([
      'HERALD_REDIS_SENTINEL_NAME',
    ]);
    expect(problemsOf(() => loadCliConfig({ HERALD_REDIS_CLUSTER_NODES: 'nope' }))).toEqual([
      'HERALD_REDIS_CLUSTER_NODES',
    ]);
  });

  test('when HERALD_QUEUE_BACKEND=postgres, no Redis setting is needed; Redis topologies and unknown backends are refused', () => {
    expect(loadWorkerConfig({ HERALD_QUEUE_BACKEND: 'postgres' }).queueBackend).toBe('postgres');
    expect(
      problemsOf(() =>
        loadCliConfig({
          HERALD_QUEUE_BACKEND: 'postgres',
          HERALD_REDIS_CLUSTER_NODES: '127.0.0.1:7000',
        }),
      ),
    ).toEqual(['HERALD_REDIS_CLUSTER_NODES']);
    expect(
      problemsOf(() =>
        loadCliConfig({
          HERALD_QUEUE_BACKEND: 'postgres',
          HERALD_REDIS_SENTINELS: 'a:26379',
          HERALD_REDIS_SENTINEL_NAME: 'm',
        }),
      ),
    ).toEqual(['HERALD_REDIS_SENTINELS']);
    expect(
      problemsOf(() => loadCliConfig({ HERALD_QUEUE_BACKEND: 'postgres', HERALD_QUEUE_PREFIX: 'other' })),
    ).toEqual(['HERALD_QUEUE_PREFIX']);
    expect(problemsOf(() => loadCliConfig({ HERALD_QUEUE_BACKEND: 'sqlite' }))).toEqual([
      'HERALD_QUEUE_BACKEND',
    ]);
  });

  test('when a queue prefix contains a colon or brace, it is refused', () => {
    expect(problemsOf(() => loadCliConfig({ HERALD_QUEUE_PREFIX: 'a:b' }))).toEqual(['HERALD_QUEUE_PREFIX']);
    expect(problemsOf(() => loadCliConfig({ HERALD_QUEUE_PREFIX: '{x}' }))).toEqual(['HERALD_QUEUE_PREFIX']);
  });

  test('when a retry schedule is custom, its delays are parsed', () => {
    expect(loadWorkerConfig({ HERALD_RETRY_SCHEDULE: '1s,2m,3h,1d' }).retryScheduleMs).toEqual([
      1_000, 120_000, 10_800_000, 86_400_000,
    ]);
    expect(problemsOf(() => loadWorkerConfig({ HERALD_RETRY_SCHEDULE: '0s' }))).toEqual([
      'HERALD_RETRY_SCHEDULE',
    ]);
    expect(problemsOf(() => loadWorkerConfig({ HERALD_RETRY_SCHEDULE: '30d' }))).toEqual([
      'HERALD_RETRY_SCHEDULE',
    ]);
  });
});

describe('checkEnv', () => {
  test('when admin and worker variables are both bad, one error names them all once', () => {
    expect(
      problemsOf(() =>
        checkEnv({ DATABASE_URL: 'nonsense', REDIS_URL: 'nonsense', PORT: 'x', HERALD_WORKER_PORT: 'y' }, [
          loadAdminConfig,
          loadWorkerConfig,
        ]),
      ).sort(),
    ).toEqual(['DATABASE_URL', 'HERALD_WORKER_PORT', 'PORT', 'REDIS_URL']);
  });
});

describe('loadStartConfig', () => {
  test('when nothing is set, the embedded mode is auto and the data directory is left to pnpm start', () => {
    expect(loadStartConfig({})).toEqual({ embedded: 'auto', dataDir: undefined });
    expect(loadStartConfig({ HERALD_EMBEDDED: '', HERALD_DATA_DIR: '' })).toEqual({
      embedded: 'auto',
      dataDir: undefined,
    });
  });

  test('when HERALD_EMBEDDED and HERALD_DATA_DIR are set, they are taken as given', () => {
    for (const mode of ['auto', 'always', 'never'] as const) {
      expect(loadStartConfig({ HERALD_EMBEDDED: mode }).embedded).toBe(mode);
    }
    expect(loadStartConfig({ HERALD_DATA_DIR: '/var/lib/herald' }).dataDir).toBe('/var/lib/herald');
  });

  test('when HERALD_EMBEDDED is not one of auto|always|never or HERALD_DATA_DIR is blank, both are named', () => {
    for (const bad of ['yes', 'true', 'AUTO', 'embedded']) {
      expect(problemsOf(() => loadStartConfig({ HERALD_EMBEDDED: bad }))).toEqual(['HERALD_EMBEDDED']);
    }
    expect(problemsOf(() => loadStartConfig({ HERALD_EMBEDDED: 'on', HERALD_DATA_DIR: '   ' }))).toEqual([
      'HERALD_EMBEDDED',
      'HERALD_DATA_DIR',
    ]);
    expect(problemsOf(() => loadStartConfig({ HERALD_DATA_DIR: 'a\0b' }))).toEqual(['HERALD_DATA_DIR']);
  });
});

describe('resolveSecretKeys', () => {
  test('when no key is configured, one is generated once into the fallback file and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-key-'));
    const file = join(dir, '.herald', 'secret.key');
    const generated: string[] = [];
    const first = resolveSecretKeys({
      secretKey: undefined,
      oldSecretKeys: [],
      fallbackFile: file,
      onGenerated: (f) => generated.push(f),
    });
    const second = resolveSecretKeys({
      secretKey: undefined,
      oldSecretKeys: [],
      fallbackFile: file,
      onGenerated: (f) => generated.push(f),
    });
    expect(first.current).toHaveLength(32);
    expect(second.current.equals(first.current)).toBe(true);
    expect(generated).toEqual([file]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test('when the fallback file is corrupt, it says so instead of using a bad key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-key-'));
    const file = join(dir, 'secret.key');
    writeFileSync(file, 'short');
    expect(() => resolveSecretKeys({ secretKey: undefined, oldSecretKeys: [], fallbackFile: file })).toThrow(
      /32-byte/,
    );
    expect(readFileSync(file, 'utf8')).toBe('short');
  });

  test('when a key is configured, it is used with the old keys', () => {
    const keys = resolveSecretKeys({ secretKey: KEY, oldSecretKeys: [KEY], fallbackFile: '/nonexistent/x' });
    expect(keys.current.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(keys.old).toHaveLength(1);
  });
});
