import { request, type Dispatcher } from 'undici';
import { withoutNul } from '@herald/core';
import type { AttemptOutcome } from '@herald/db';
import { parseRetryAfter } from './retry-policy.js';

export interface SendResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  retryAfterMs: number | null;
  durationMs: number;
  startedAt: Date;
  /** At most STORED_RESPONSE_BYTES of the response body, as text. */
  responseSnippet: string | null;
  error: string | null;
}

export interface SenderOptions {
  dispatcher: Dispatcher;
  timeoutMs: number;
  /** Read at most this much of a response (the rest is discarded with the connection). */
  maxResponseBytes?: number;
  storedResponseBytes?: number;
  now?: () => number;
}

const MAX_RESPONSE_BYTES = 64 * 1024;
const STORED_RESPONSE_BYTES = 4 * 1024;

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function classifyError(error: unknown): { outcome: AttemptOutcome; message: string } {
  const e = error as { name?: string; code?: string; message?: string; cause?: unknown };
  if (e.code === 'HERALD_BLOCKED_ADDRESS')
    return { outcome: 'blocked', message: e.message ?? 'address not allowed' };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || (e.code && TIMEOUT_CODES.has(e.code))) {
    return { outcome: 'timeout', message: 'no complete response within the timeout' };
  }
  const cause = e.cause as { code?: string; message?: string } | undefined;
  if (cause?.code === 'HERALD_BLOCKED_ADDRESS')
    return { outcome: 'blocked', message: cause.message ?? 'address not allowed' };
  // undici and node messages name the code and the peer IP, never the URL path.
  const message = [e.code, e.message].filter(Boolean).join(': ') || 'request failed';
  return { outcome: 'network_error', message };
}

/**
 * POSTs one signed body. Never follows redirects (undici's request does not
 * without an interceptor), bounds the whole attempt by `timeoutMs`, reads at
 * most 64 KiB of the answer and keeps 4 KiB of it.
 */
export function createSender(options: SenderOptions) {
  const now = options.now ?? Date.now;
  const maxResponseBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const storedBytes = options.storedResponseBytes ?? STORED_RESPONSE_BYTES;

  return async function send(
    url: string,
    headers: Record<string, string>,
    body: string,
  ): Promise<SendResult> {
    const startedMs = now();
    const startedAt = new Date(startedMs);
    // The whole attempt's bound (headers and body timeouts alone let a
    // trickling answer run on). Not AbortSignal.timeout: its timer runs until
    // it fires, long after the exchange, and the signal goes only with a full
    // GC — ~12 µs more CPU per attempt and twice the old-generation growth of
    // this controller, whose timer is cleared when the attempt ends.
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('attempt timed out', 'TimeoutError')),
      options.timeoutMs,
    );
    try {
      const res = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: options.dispatcher,
        signal: controller.signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      const chunks: Buffer[] = [];
      let received = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (received < storedBytes) chunks.push(chunk);
        received += chunk.length;
        // Enough: leaving the loop destroys the body (and that connection).
        if (received >= maxResponseBytes) break;
      }
      // Postgres text refuses NUL, which a binary answer may hold.
      const snippet =
        chunks.length > 0
          ? withoutNul(Buffer.concat(chunks).subarray(0, storedBytes).toString('utf8'))
          : null;
      const statusCode = res.statusCode;
      // HTTP status codes are 100–599; a receiver answering 999 broke the protocol (and
      // the attempt's record could not hold it). A failure, kept in the error text.
      if (statusCode < 100 || statusCode > 599) {
        return {
          outcome: 'http_error',
          statusCode: null,
          retryAfterMs: null,
          durationMs: now() - startedMs,
          startedAt,
          responseSnippet: snippet,
          error: `endpoint answered invalid status ${statusCode}`,
        };
      }
      return {
        outcome: statusCode >= 200 && statusCode < 300 ? 'success' : 'http_error',
        statusCode,
        retryAfterMs:
          statusCode === 429 || statusCode === 503
            ? parseRetryAfter(res.headers['retry-after'], now())
            : null,
        durationMs: now() - startedMs,
        startedAt,
        responseSnippet: snippet,
        error: null,
      };
    } catch (error) {
      const { outcome, message } = classifyError(error);
      return {
        outcome,
        statusCode: null,
        retryAfterMs: null,
        durationMs: now() - startedMs,
        startedAt,
        responseSnippet: null,
        error: message.slice(0, 500),
      };
    } finally {
      clearTimeout(timer);
    }
  };
}

export type Send = ReturnType<typeof createSender>;
