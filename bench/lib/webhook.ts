import { createHmac, randomBytes } from 'node:crypto';
import type { Job } from 'bullmq';
import { Pool } from 'undici';

/** What a raw delivery job carries: enough to build a realistic event, plus its enqueue time. */
export interface RawDeliveryData {
  readonly userId: string;
  /** `performance.now()` in the bench process when the job was handed to BullMQ. */
  readonly enqueuedAtMs: number;
}

export const WEBHOOK_EVENT_TYPE = 'auth.login.success';

/** A 32-byte secret, as Standard Webhooks' `whsec_` keys are. */
export function createSigningKey(): Buffer {
  return randomBytes(32);
}

/** Standard Webhooks: HMAC-SHA256 over `{id}.{timestamp}.{body}`, sent as `v1,<base64>`. */
export function signWebhook(key: Buffer, id: string, timestampS: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64')}`;
}

/** Body as a receiver sees it; the sink of the latency scenario reads `data.enqueued_at_ms` back. */
export function buildLoginEvent(data: RawDeliveryData, now: Date): string {
  return JSON.stringify({
    type: WEBHOOK_EVENT_TYPE,
    timestamp: now.toISOString(),
    data: { user_id: data.userId, ip: '203.0.113.7', method: 'password', enqueued_at_ms: data.enqueuedAtMs },
  });
}

export function parseEnqueuedAtMs(body: Buffer): number {
  // The body is one this process built (buildLoginEvent), so its shape is known.
  const parsed = JSON.parse(body.toString('utf8')) as { data?: { enqueued_at_ms?: unknown } };
  const enqueuedAt = parsed.data?.enqueued_at_ms;
  if (typeof enqueuedAt !== 'number') throw new Error('sink received a body without data.enqueued_at_ms');
  return enqueuedAt;
}

/**
 * One keep-alive connection per unit of worker concurrency, so no job waits
 * for a socket; `pipelining: 1` because webhook receivers are arbitrary
 * servers and HTTP pipelining is unsafe against them.
 */
export function createSinkPool(origin: string, connections: number): Pool {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
}

/** The whole per-job work of the raw baseline: build, sign, POST, read the answer. */
export function createHmacPostProcessor(
  pool: Pool,
  key: Buffer,
): (job: Job<RawDeliveryData>) => Promise<void> {
  return async (job) => {
    const now = new Date();
    const id = `msg_${job.id ?? 'unknown'}`;
    const timestampS = Math.floor(now.getTime() / 1000);
    const body = buildLoginEvent(job.data, now);
    const response = await pool.request({
      method: 'POST',
      path: '/',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestampS),
        'webhook-signature': signWebhook(key, id, timestampS, body),
      },
      body,
    });
    // Reading the body to its end is what returns the socket to the pool.
    await response.body.dump();
    if (response.statusCode !== 204) throw new Error(`sink answered ${response.statusCode}`);
  };
}
