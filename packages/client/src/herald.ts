import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ValidationError, checkEventInput, newId, type FieldIssue } from '@herald/core';
import { QUEUE_NAMES, eventJobOptions, type EventJobData, type RedisConnection } from '@herald/queue';

export interface PublishInput {
  /** The app (tenant) id, `app_…`. Required with Redis. */
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

export interface PublishResult {
  id: string;
}

const APP_ID = /^app_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * Publishes events straight into Herald's queue: one Redis round trip per
 * publish, one pipeline per batch. Workers do the rest.
 */
export class Herald {
  readonly #queue: Queue;
  readonly #ownConnection: Redis | undefined;

  constructor(options: RedisClientOptions) {
    if (!options.connection && !options.redisUrl) {
      throw new TypeError('Herald needs redisUrl or connection');
    }
    const prefix = options.queuePrefix ?? 'herald';
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(prefix)) throw new TypeError('queuePrefix must be 1–32 of A-Za-z0-9_-');
    // Producers should fail fast while Redis is down rather than queue forever.
    this.#ownConnection = options.connection
      ? undefined
      : new Redis(options.redisUrl!, { maxRetriesPerRequest: 3 });
    this.#queue = new Queue(QUEUE_NAMES.events, {
      connection: options.connection ?? this.#ownConnection!,
      prefix,
    });
  }

  /** Validates and publishes one event; resolves with its id (`msg_…`). */
  async publish(input: PublishInput): Promise<PublishResult> {
    const job = toJob(input);
    const added = await this.#queue.add(job.type, job, eventJobOptions(job));
    // With an idempotency key seen before, BullMQ answers with the first job's id.
    return { id: added.id ?? job.id };
  }

  /** Validates every event first (nothing is published if one is bad), then one pipeline. */
  async publishBatch(inputs: readonly PublishInput[]): Promise<{ ids: string[] }> {
    const issues: FieldIssue[] = [];
    const jobs: EventJobData[] = [];
    inputs.forEach((input, index) => {
      try {
        jobs.push(toJob(input, index));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        issues.push(...error.issues);
      }
    });
    if (issues.length > 0) throw new ValidationError(`invalid batch: ${issues.length} problem(s)`, issues);
    const added = await this.#queue.addBulk(
      jobs.map((job) => ({ name: job.type, data: job, opts: eventJobOptions(job) })),
    );
    return { ids: added.map((job, i) => job.id ?? jobs[i]!.id) };
  }

  async close(): Promise<void> {
    await this.#queue.close();
    if (this.#ownConnection) await this.#ownConnection.quit().catch(() => undefined);
  }
}

function toJob(input: PublishInput, index?: number): EventJobData {
  const { issues } = checkEventInput(input, index === undefined ? {} : { index });
  const app = (input as { app?: unknown } | null)?.app;
  if (typeof app !== 'string' || !APP_ID.test(app)) {
    issues.unshift({
      field: 'app',
      message: 'must be an app id (app_…)',
      ...(index === undefined ? {} : { index }),
    });
  }
  if (issues.length > 0) {
    throw new ValidationError(
      `invalid event: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return {
    v: 1,
    id: newId('event'),
    appId: app as string,
    type: input.type,
    timestamp: new Date().toISOString(),
    data: input.data,
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
  };
}
