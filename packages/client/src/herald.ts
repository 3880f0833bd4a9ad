import { Redis } from 'ioredis';
import {
  QUEUE_NAMES,
  createRedisQueueBackend,
  type HeraldQueue,
  type QueueBackend,
  type RedisConnection,
} from '@herald/queue';
import { buildEventJob, buildEventJobs, enqueueEventJob, enqueueEventJobs } from './event-jobs.js';
import { HttpTransport, type HttpClientOptions } from './http-transport.js';

export interface PublishInput {
  /** The app (tenant) id, `app_…`. Required with Redis; refused over HTTP (the key decides). */
  app?: string;
  type: string;
  data: Record<string, unknown>;
  /** Repeats with the same key (per app) within 24 h return the first id. */
  idempotencyKey?: string;
}

export interface RedisClientOptions {
  redisUrl?: string;
  /** An existing ioredis connection (Cluster, Sentinel); not closed by close(). */
  connection?: RedisConnection;
  /** Must match the workers' HERALD_QUEUE_PREFIX. */
  queuePrefix?: string;
}

/**
 * Straight into the queue on a backend the caller built (`createRedisQueueBackend`,
 * or `createPostgresQueueBackend` for HERALD_QUEUE_BACKEND=postgres); not closed by close().
 */
export interface BackendClientOptions {
  queueBackend: QueueBackend;
}

export type HeraldOptions = RedisClientOptions | BackendClientOptions | HttpClientOptions;

export interface PublishResult {
  id: string;
}

interface Transport {
  publish(input: PublishInput): Promise<PublishResult>;
  publishBatch(inputs: readonly PublishInput[]): Promise<{ ids: string[] }>;
  close(): Promise<void>;
}

/** Straight into BullMQ: one round trip per publish, one pipeline (or statement) per batch. */
class QueueTransport implements Transport {
  readonly #queue: HeraldQueue;
  readonly #ownConnection: Redis | undefined;

  constructor(options: RedisClientOptions | BackendClientOptions) {
    if ('queueBackend' in options) {
      this.#ownConnection = undefined;
      this.#queue = options.queueBackend.createQueue(QUEUE_NAMES.events);
      return;
    }
    if (!options.connection && !options.redisUrl) {
      throw new TypeError('Herald needs redisUrl or connection (or apiUrl and apiKey)');
    }
    const prefix = options.queuePrefix ?? 'herald';
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(prefix)) throw new TypeError('queuePrefix must be 1–32 of A-Za-z0-9_-');
    // Producers should fail fast while Redis is down rather than queue forever.
    this.#ownConnection = options.connection
      ? undefined
      : new Redis(options.redisUrl!, { maxRetriesPerRequest: 3 });
    this.#queue = createRedisQueueBackend(options.connection ?? this.#ownConnection!, prefix).createQueue(
      QUEUE_NAMES.events,
    );
  }

  async publish(input: PublishInput): Promise<PublishResult> {
    return { id: await enqueueEventJob(this.#queue, buildEventJob(input)) };
  }

  async publishBatch(inputs: readonly PublishInput[]): Promise<{ ids: string[] }> {
    return { ids: await enqueueEventJobs(this.#queue, buildEventJobs(inputs)) };
  }

  async close(): Promise<void> {
    await this.#queue.close();
    if (this.#ownConnection) await this.#ownConnection.quit().catch(() => undefined);
  }
}

class ApiTransport implements Transport {
  readonly #http: HttpTransport;
  constructor(options: HttpClientOptions) {
    this.#http = new HttpTransport(options);
  }
  publish(input: PublishInput): Promise<PublishResult> {
    return this.#http.publish(input);
  }
  publishBatch(inputs: readonly PublishInput[]): Promise<{ ids: string[] }> {
    return this.#http.publishBatch(inputs);
  }
  close(): Promise<void> {
    // fetch's connection pool is global and closes idle sockets itself.
    return Promise.resolve();
  }
}

function isHttpOptions(options: HeraldOptions): options is HttpClientOptions {
  return (options as Partial<HttpClientOptions>).apiUrl !== undefined;
}

/**
 * Publishes events to Herald: straight into its queue (`{ redisUrl }` or
 * `{ connection }`, with `app` on every event) or over its HTTP API
 * (`{ apiUrl, apiKey }`, where the key decides the app). Workers do the rest.
 */
export class Herald {
  readonly #transport: Transport;

  constructor(options: HeraldOptions) {
    if (isHttpOptions(options)) {
      const redis = options as RedisClientOptions & Partial<BackendClientOptions>;
      if (
        redis.redisUrl !== undefined ||
        redis.connection !== undefined ||
        redis.queueBackend !== undefined
      ) {
        throw new TypeError(
          'Herald takes either redisUrl/connection/queueBackend or apiUrl/apiKey, not both',
        );
      }
      this.#transport = new ApiTransport(options);
    } else {
      this.#transport = new QueueTransport(options);
    }
  }

  /** Validates and publishes one event; resolves with its id (`msg_…`). */
  publish(input: PublishInput): Promise<PublishResult> {
    return this.#transport.publish(input);
  }

  /** Validates every event first (nothing is published if one is bad), then one pipeline or request. */
  publishBatch(inputs: readonly PublishInput[]): Promise<{ ids: string[] }> {
    return this.#transport.publishBatch(inputs);
  }

  close(): Promise<void> {
    return this.#transport.close();
  }
}
