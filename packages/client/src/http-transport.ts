import { ValidationError, type FieldIssue } from '@herald/core';
import { checkEventFields, describeIssues } from './event-jobs.js';

export interface HttpClientOptions {
  /** The API's base URL, e.g. `https://herald.example.com/api/v1`. */
  apiUrl: string;
  /** An API key (`hk_…`); it decides the app. */
  apiKey: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

/** What HTTP mode publishes: the app comes from the API key, never from the event. */
export interface HttpPublishInput {
  app?: unknown;
  type: string;
  data: Record<string, unknown>;
  idempotencyKey?: string | undefined;
}

/**
 * The API refused a request for a reason other than invalid fields (those
 * become a ValidationError): 401, 403, 404, 413, 429 (`retryAfterSeconds`), 5xx.
 */
export class HeraldApiError extends Error {
  override readonly name = 'HeraldApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details: unknown = undefined,
    readonly retryAfterSeconds: number | undefined = undefined,
  ) {
    super(message);
  }
}

/** The API takes at most this many events per `/events/batch` request. */
export const MAX_BATCH_EVENTS = 1000;

function refuseApp(inputs: readonly HttpPublishInput[], batch: boolean): void {
  const issues: FieldIssue[] = [];
  inputs.forEach((input, index) => {
    if ((input as { app?: unknown } | null)?.app !== undefined) {
      issues.push({
        field: 'app',
        message: 'is not accepted in HTTP mode: the API key decides the app',
        ...(batch ? { index } : {}),
      });
    }
    issues.push(...checkEventFields(input, batch ? index : undefined));
  });
  if (issues.length > 0) throw new ValidationError(`invalid event: ${describeIssues(issues)}`, issues);
}

function toBody(input: HttpPublishInput): Record<string, unknown> {
  return {
    type: input.type,
    data: input.data,
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
  };
}

/** Publishes over Herald's HTTP API with global fetch (keep-alive by default). */
export class HttpTransport {
  readonly #base: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;

  constructor(options: HttpClientOptions) {
    let url: URL;
    try {
      url = new URL(options.apiUrl);
    } catch {
      throw new TypeError('apiUrl must be an absolute http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError('apiUrl must be an absolute http(s) URL');
    }
    if (typeof options.apiKey !== 'string' || options.apiKey.length === 0) {
      throw new TypeError('Herald needs apiKey with apiUrl');
    }
    this.#base = url.href.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async publish(input: HttpPublishInput): Promise<{ id: string }> {
    refuseApp([input], false);
    const headers: Record<string, string> = {};
    // Sent as the header too, so proxies and logs can see it; the API checks both agree.
    if (input.idempotencyKey !== undefined) headers['idempotency-key'] = input.idempotencyKey;
    return (await this.#post('/events', toBody(input), headers)) as { id: string };
  }

  /**
   * Validates everything first, then sends batches of up to 1,000. A batch
   * the API refuses stops the rest; the batches before it stay published.
   */
  async publishBatch(inputs: readonly HttpPublishInput[]): Promise<{ ids: string[] }> {
    refuseApp(inputs, true);
    const ids: string[] = [];
    for (let start = 0; start < inputs.length; start += MAX_BATCH_EVENTS) {
      const chunk = inputs.slice(start, start + MAX_BATCH_EVENTS);
      try {
        const result = (await this.#post('/events/batch', { events: chunk.map(toBody) }, {})) as {
          ids: string[];
        };
        ids.push(...result.ids);
      } catch (error) {
        // Item indexes are the caller's, not the chunk's.
        if (error instanceof ValidationError && start > 0) {
          const issues = error.issues.map((i) =>
            i.index === undefined ? i : { ...i, index: i.index + start },
          );
          throw new ValidationError(error.message, issues);
        }
        throw error;
      }
    }
    return { ids };
  }

  async #post(path: string, body: unknown, headers: Record<string, string>): Promise<unknown> {
    // The request's bound covers the answer's body too. Not AbortSignal.timeout:
    // its timer would run for the whole timeout after every request (thousands
    // alive in a publisher sending a few hundred a second); this one is cleared.
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('Herald API request timed out', 'TimeoutError')),
      this.#timeoutMs,
    );
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.#base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Bearer ${this.#apiKey}`,
          ...headers,
        },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      text = await response.text();
    } finally {
      clearTimeout(timer);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed;
    const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
      ?.error;
    const code = typeof error?.code === 'string' ? error.code : 'http_error';
    const message =
      typeof error?.message === 'string' ? error.message : `Herald API answered ${response.status}`;
    if (response.status === 422 && Array.isArray(error?.details)) {
      throw new ValidationError(message, error.details as FieldIssue[]);
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new HeraldApiError(
      message,
      response.status,
      code,
      error?.details,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
}
