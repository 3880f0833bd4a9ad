import { EVENT_CATALOG } from './webhook-detail.routes.js';

type CatalogType = (typeof EVENT_CATALOG)[number];

/**
 * Example `data` for each catalog type: what "Send test event" publishes
 * (plus `"test": true`) and what the format preview renders.
 */
const SAMPLES: Record<CatalogType, Record<string, unknown>> = {
  'auth.login.success': { user: 'alice', ip: '203.0.113.7', country: 'FR', method: 'password' },
  'auth.login.failed': { user: 'alice', ip: '198.51.100.23', reason: 'wrong password', attempts: 5 },
  'user.register': { user: 'bob', email: 'bob@example.com', plan: 'free' },
  'license.redeem': { user: 'bob', key: 'XXXX-1234-ABCD', product: 'Pro', days: 30 },
  'license.expired': {
    user: 'carol',
    key: 'XXXX-9876-WXYZ',
    product: 'Pro',
    expiredAt: '2026-11-27T00:00:00Z',
  },
  'hwid.mismatch': { user: 'dave', expected: 'a1b2c3', received: 'f9e8d7', ip: '192.0.2.44' },
  'hwid.reset': { user: 'dave', by: 'support', previous: 'a1b2c3' },
  'blacklist.added': { user: 'mallory', reason: 'chargeback', by: 'admin' },
  'whitelist.added': { user: 'erin', by: 'admin' },
  'payment.success': { user: 'bob', amount: 19.99, currency: 'EUR', orderId: 'ord_1042' },
  'payment.failed': { user: 'bob', amount: 19.99, currency: 'EUR', reason: 'card declined' },
};

export function isCatalogType(type: string): type is CatalogType {
  return (EVENT_CATALOG as readonly string[]).includes(type);
}

/** The catalog's example data for `type`. */
export function sampleEventData(type: CatalogType): Record<string, unknown> {
  return { ...SAMPLES[type] };
}
