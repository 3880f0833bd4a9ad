import express, { type Express } from 'express';
import { WebhookVerificationError, verifyWebhook } from '@herald/client';

export interface ReceiverOptions {
  /** The webhook's signing secret (`whsec_…`), as Herald showed it once. */
  secret: string;
  /** Failed logins from one IP within `windowMs` that earn a blacklist entry. */
  failedLoginThreshold?: number;
  windowMs?: number;
  /** How many webhook-ids to remember for de-duplication. */
  rememberIds?: number;
  now?: () => number;
}

export interface Receiver {
  app: Express;
  blacklist: Set<string>;
  /** Events handled, after de-duplication. */
  handled: { id: string; type: string }[];
}

interface HeraldEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/**
 * The seed's anti-abuse automation: repeated `auth.login.failed` from one IP
 * → a blacklist entry. Verifies every request on the raw body (5-minute
 * tolerance) and handles each `webhook-id` once, because Herald may deliver
 * the same event again after a retry or a replay.
 */
export function createReceiver(options: ReceiverOptions): Receiver {
  const threshold = options.failedLoginThreshold ?? 5;
  const windowMs = options.windowMs ?? 10 * 60_000;
  const remember = options.rememberIds ?? 10_000;
  const now = options.now ?? Date.now;
  const seen = new Set<string>();
  const failures = new Map<string, number[]>();
  const blacklist = new Set<string>();
  const handled: { id: string; type: string }[] = [];

  const app = express();
  app.disable('x-powered-by');
  // The signature covers the exact bytes: keep the body raw until verified.
  app.post('/webhooks/herald', express.raw({ type: 'application/json', limit: '1mb' }), (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let event: HeraldEvent;
    try {
      event = verifyWebhook(options.secret, body, req.headers) as HeraldEvent;
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        res.status(401).json({ error: 'invalid signature' });
        return;
      }
      throw error;
    }
    const id = String(req.headers['webhook-id']);
    if (seen.has(id)) {
      res.status(200).json({ duplicate: true });
      return;
    }
    seen.add(id);
    if (seen.size > remember) seen.delete(seen.values().next().value!);
    handled.push({ id, type: event.type });
    if (event.type === 'auth.login.failed' && typeof event.data['ip'] === 'string') {
      const ip = event.data['ip'];
      const cutoff = now() - windowMs;
      const recent = (failures.get(ip) ?? []).filter((t) => t > cutoff);
      recent.push(now());
      failures.set(ip, recent);
      if (recent.length >= threshold) blacklist.add(ip);
    }
    res.status(204).end();
  });
  app.get('/blacklist', (_req, res) => {
    res.json({ blacklist: [...blacklist] });
  });
  return { app, blacklist, handled };
}
