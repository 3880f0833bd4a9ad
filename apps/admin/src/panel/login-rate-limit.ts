import { createHash } from 'node:crypto';
import type { RedisConnection } from '@herald/queue';

export interface LoginRateLimitOptions {
  redis: RedisConnection;
  /** `<queuePrefix>:login:` + a hash of IP and email. */
  keyPrefix: string;
  maxAttempts: number;
  windowMs: number;
}

// INCR and the first PEXPIRE in one step, so a crash between them cannot
// leave a counter that never expires.
const COUNT_ATTEMPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`;

export interface LoginAttemptVerdict {
  allowed: boolean;
  retryAfterSeconds: number;
}

/**
 * Fixed-window limit on password attempts per (IP, email), shared by every
 * admin process through Redis. Every attempt counts before the password is
 * checked, so a burst of parallel guesses is limited too; a success clears it.
 */
export class LoginRateLimit {
  constructor(private readonly options: LoginRateLimitOptions) {}

  private key(ip: string, email: string): string {
    // Hashed: no email addresses in Redis key names, and a bounded key length.
    const digest = createHash('sha256').update(`${ip}\n${email.trim().toLowerCase()}`).digest('hex');
    return `${this.options.keyPrefix}${digest.slice(0, 32)}`;
  }

  async countAttempt(ip: string, email: string): Promise<LoginAttemptVerdict> {
    const result = (await this.options.redis.eval(
      COUNT_ATTEMPT,
      1,
      this.key(ip, email),
      String(this.options.windowMs),
    )) as [number, number];
    const [count, ttlMs] = result;
    return {
      allowed: count <= this.options.maxAttempts,
      retryAfterSeconds: Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : this.options.windowMs) / 1000)),
    };
  }

  async clear(ip: string, email: string): Promise<void> {
    await this.options.redis.del(this.key(ip, email));
  }
}
