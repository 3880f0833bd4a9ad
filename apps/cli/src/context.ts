import type { Herald } from '@herald/client';
import type { CliConfig } from '@herald/config';
import type { Engine } from '@herald/engine';
import type { Logger } from '@herald/logger';
import type { Services } from '@herald/runtime';
import { CliError } from './errors.js';
import type { CliIo, Output } from './output.js';
import { createProgressBar, type ProgressBar } from './progress.js';

const REDIS_TIMEOUT_MS = 10_000;

/**
 * What a command may need, opened on first use and closed by `close()`:
 * config, Postgres + Redis (`openServices`), the engine, the publishing client.
 * Nothing is opened for a command line that is refused before it runs.
 */
export class CliContext {
  #config: Promise<Readonly<CliConfig>> | undefined;
  #services: Promise<Services> | undefined;
  #engine: Promise<Engine> | undefined;
  #client: Promise<Herald> | undefined;

  constructor(
    readonly io: CliIo,
    readonly output: Output,
  ) {}

  // Heavy modules are imported on first use (see catalog.ts).
  config(): Promise<Readonly<CliConfig>> {
    this.#config ??= import('@herald/config').then(({ loadCliConfig }) => loadCliConfig(this.io.env));
    return this.#config;
  }

  services(): Promise<Services> {
    this.#services ??= (async () => {
      const config = await this.config();
      const [{ createLogger }, { STATE_DIR, openServices }] = await Promise.all([
        import('@herald/logger'),
        import('@herald/runtime'),
      ]);
      // Logs go to stderr (stdout is the command's result); they never carry secrets.
      const log: Logger = createLogger({ name: 'herald-cli', level: config.logLevel, destination: 'stderr' });
      return openServices(config, {
        name: 'herald-cli',
        log,
        stateDir: STATE_DIR,
        maxDbConnections: 4,
        maxQueueConnections: 4,
      });
    })();
    return this.#services;
  }

  /** The engine, once Redis (if used) has answered (so a missing Redis fails instead of waiting forever). */
  engine(): Promise<Engine> {
    this.#engine ??= (async () => {
      const [config, services, { createEngine }, { createKeyring }] = await Promise.all([
        this.config(),
        this.services(),
        import('@herald/engine'),
        import('@herald/signing'),
      ]);
      await this.#redisReachable(services);
      return createEngine({
        db: services.db,
        queue: services.queueBackend,
        shared: services.shared,
        keyring: createKeyring(services.secretKeys.current, services.secretKeys.old),
        allowPrivateNetworks: config.allowPrivateNetworks,
      });
    })();
    return this.#engine;
  }

  /** The producer client on the shared connection (it does not close that connection). */
  client(): Promise<Herald> {
    this.#client ??= (async () => {
      const [services, { Herald }] = await Promise.all([this.services(), import('@herald/client')]);
      await this.#redisReachable(services);
      return new Herald({ queueBackend: services.queueBackend });
    })();
    return this.#client;
  }

  progress(label: string): ProgressBar {
    return createProgressBar(this.io.stderr, label);
  }

  async #redisReachable(services: Services): Promise<void> {
    const redis = services.redis;
    if (!redis) return; // Postgres-only mode: openServices already reached Postgres
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CliError(
              'unavailable',
              `Redis did not answer within ${REDIS_TIMEOUT_MS / 1000} s (REDIS_URL)`,
            ),
          ),
        REDIS_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([redis.ping(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes what was opened, newest first. */
  async close(): Promise<void> {
    const settled = async <T>(p: Promise<T> | undefined): Promise<T | undefined> =>
      p?.then(
        (v) => v,
        () => undefined,
      );
    const client = await settled(this.#client);
    if (client) await client.close();
    const engine = await settled(this.#engine);
    if (engine) await engine.close();
    const services = await settled(this.#services);
    if (!services) return;
    if (!services.redis || services.redis.status === 'ready') {
      await services.close();
    } else {
      // QUIT would queue behind the commands waiting for a Redis that never
      // answered, and wait forever; drop the connection instead.
      services.redis.disconnect();
      await services.db.destroy();
    }
  }
}
