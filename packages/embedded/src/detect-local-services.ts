import { connect } from 'node:net';

export interface LocalServiceAddress {
  host: string;
  port: number;
}

export interface DetectLocalServicesOptions {
  /** For both probes together (they run at once). */
  timeoutMs?: number;
  postgres?: LocalServiceAddress;
  redis?: LocalServiceAddress;
}

export interface LocalServices {
  /** A Postgres server answered the SSL negotiation at the address. */
  postgres: boolean;
  /** A Redis server answered PING (with PONG, or an error such as NOAUTH). */
  redis: boolean;
}

/** Where `DATABASE_URL` and `REDIS_URL` point by default. */
export const DEFAULT_LOCAL_POSTGRES: LocalServiceAddress = Object.freeze({ host: '127.0.0.1', port: 5432 });
export const DEFAULT_LOCAL_REDIS: LocalServiceAddress = Object.freeze({ host: '127.0.0.1', port: 6379 });
export const DEFAULT_DETECT_TIMEOUT_MS = 1_000;

// Postgres' SSLRequest: length 8, code 80877103. A server answers one byte,
// 'S' or 'N', before any authentication, so the probe needs no credentials
// and leaves no failed login behind.
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
const REDIS_PING = Buffer.from('PING\r\n');

/**
 * Whether Postgres and Redis answer at their default local addresses: a TCP
 * connect plus the smallest exchange that only that server would answer that
 * way. For `pnpm start` choosing the embedded mode when neither
 * `DATABASE_URL` nor `REDIS_URL` is set and nothing answers within a second.
 */
export async function detectLocalServices(options: DetectLocalServicesOptions = {}): Promise<LocalServices> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DETECT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw new RangeError(`timeoutMs must be an integer from 1 to 60000, got ${String(timeoutMs)}`);
  }
  const postgres = checkAddress('postgres', options.postgres ?? DEFAULT_LOCAL_POSTGRES);
  const redis = checkAddress('redis', options.redis ?? DEFAULT_LOCAL_REDIS);
  const [isPostgres, isRedis] = await Promise.all([
    probe(postgres, SSL_REQUEST, isPostgresAnswer, timeoutMs),
    probe(redis, REDIS_PING, isRedisAnswer, timeoutMs),
  ]);
  return { postgres: isPostgres, redis: isRedis };
}

function checkAddress(name: string, address: LocalServiceAddress): LocalServiceAddress {
  if (!Number.isInteger(address.port) || address.port < 1 || address.port > 65_535) {
    throw new RangeError(`${name} port must be an integer from 1 to 65535, got ${String(address.port)}`);
  }
  if (address.host.trim() === '') throw new RangeError(`${name} host must not be empty`);
  return address;
}

/** true/false once the bytes so far decide it; undefined while more are needed. */
type AnswerCheck = (received: Buffer) => boolean | undefined;

function isPostgresAnswer(received: Buffer): boolean | undefined {
  if (received.length !== 1) return false;
  return received[0] === 0x53 || received[0] === 0x4e; // 'S' | 'N'
}

function isRedisAnswer(received: Buffer): boolean | undefined {
  const first = received[0];
  if (first !== 0x2b && first !== 0x2d) return false; // '+' | '-'
  const lineEnd = received.indexOf('\r\n');
  if (lineEnd === -1) return received.length > 512 ? false : undefined;
  return true;
}

function probe(
  address: LocalServiceAddress,
  request: Buffer,
  check: AnswerCheck,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address.host, port: address.port });
    let received = Buffer.alloc(0);
    let isSettled = false;
    const settle = (answer: boolean) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => settle(false), timeoutMs);
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = check(received);
      if (answer !== undefined) settle(answer);
    });
    // Refused, reset, closed without a decisive answer: nothing we recognise.
    socket.once('error', () => settle(false));
    socket.once('close', () => settle(false));
  });
}
