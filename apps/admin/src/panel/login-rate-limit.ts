import { createHash } from 'node:crypto';
import type { LimitStore } from '@herald/engine';

export interface LoginRateLimitOptions {
  limits: LimitStore;
  /** `login:` + a hash of IP and email (Redis keys get the queue prefix in front). */
  keyPrefix: string;
  maxAttempts: number;
  windowMs: number;
}

export interface LoginAttemptVerdict {
  allowed: boolean;
  retryAfterSeconds: number;
}

/**
 * Fixed-window limit on password attempts per (IP, email), shared by every
 * admin process through the shared state. Every attempt counts before the password is
 * checked, so a burst of parallel guesses is limited too; a success clears it.
 */
export class LoginRateLimit {
  constructor(private readonly options: LoginRateLimitOptions) {}

  private key(ip: string, email: string): string {
    // Hashed: no email addresses in key names, and a bounded key length.
    const digest = createHash('sha256').update(`${ip}\n${email.trim().toLowerCase()}`).digest('hex');
    return `${this.options.keyPrefix}${digest.slice(0, 32)}`;
  }

  async countAttempt(ip: string, email: string): Promise<LoginAttemptVerdict> {
    const { count, ttlMs } = await this.options.limits.countHit(this.key(ip, email), this.options.windowMs);
    return {
      allowed: count <= this.options.maxAttempts,
      retryAfterSeconds: Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : this.options.windowMs) / 1000)),
    };
  }

  async clear(ip: string, email: string): Promise<void> {
    await this.options.limits.clearHits(this.key(ip, email));
  }
}
