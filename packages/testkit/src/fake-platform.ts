import { createRateWindow, type FakeRateLimit } from './rate-window.js';
import { startReceiver, type Receiver, type ReceivedRequest } from './receiver.js';

export interface FakePlatform {
  /** The URL to give the webhook (with the platform's path). */
  url: string;
  receiver: Receiver;
  /** Messages the fake accepted, parsed. */
  accepted: unknown[];
  /** Answers that were not 2xx: status and body. */
  rejected: { status: number; body: unknown }[];
  /**
   * The next `count` requests get a 429 asking to wait `retryAfterSeconds`
   * (Slack and Telegram round it up to whole seconds, as they do; Discord keeps fractions).
   */
  rateLimitNext(count: number, retryAfterSeconds: number): void;
  close(): Promise<void>;
}

export interface FakePlatformOptions {
  /** Enforce a rate limit the way the platform does (a 429 with retry_after for each request over it). */
  rateLimit?: FakeRateLimit;
}

/** One request's answering tools, as a fake platform's handler gets them. */
export interface PlatformReply {
  /** A string body goes out as text/plain, anything else as JSON; a non-2xx answer is recorded in `rejected`. */
  answer(status: number, body: unknown, headers?: Record<string, string>): void;
  /** An answer without a body (Discord's 204). */
  empty(status: number): void;
  /** Records the parsed message as accepted (the handler still answers). */
  accept(message: unknown): void;
  /**
   * Seconds the sender must wait, or null to go on: the next of the 429s
   * `rateLimitNext` asked for, or how long until the request would fit the
   * platform's rate window (the arrival is counted when it fits).
   */
  throttled(): number | null;
}

/**
 * The parts every fake platform (Discord, Slack, Telegram) shares: a loopback
 * receiver, the accepted/rejected record, and 429s on demand or over the rate
 * window. The handler decides everything the platform itself decides.
 */
export async function startFakePlatform(
  options: FakePlatformOptions,
  path: string,
  handle: (req: ReceivedRequest, reply: PlatformReply) => void,
): Promise<FakePlatform> {
  const window = createRateWindow(options.rateLimit);
  const accepted: unknown[] = [];
  const rejected: { status: number; body: unknown }[] = [];
  let limited = 0;
  let retryAfter = 1;
  const receiver = await startReceiver((req, res) => {
    handle(req, {
      answer(status, body, headers = {}) {
        if (status >= 300) rejected.push({ status, body });
        const text = typeof body === 'string';
        res
          .writeHead(status, { 'content-type': text ? 'text/plain' : 'application/json', ...headers })
          .end(text ? body : JSON.stringify(body));
      },
      empty(status) {
        res.writeHead(status).end();
      },
      accept(message) {
        accepted.push(message);
      },
      throttled() {
        const overMs = window.check();
        if (overMs !== null) return overMs / 1000;
        if (limited === 0) return null;
        limited -= 1;
        return retryAfter;
      },
    });
  });
  return {
    url: `${receiver.url}${path}`,
    receiver,
    accepted,
    rejected,
    rateLimitNext(count, seconds) {
      limited = count;
      retryAfter = seconds;
    },
    close: () => receiver.close(),
  };
}

/** The body parsed as JSON, or undefined when it is not JSON. */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
