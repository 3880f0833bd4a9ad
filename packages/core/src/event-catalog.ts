/** One well-known event type: what it means and what its `data` usually holds. */
export interface CatalogEventType {
  type: string;
  description: string;
  /** A typical `data` object (documentation only; Herald never checks payloads against it). */
  example: Readonly<Record<string, unknown>>;
}

/**
 * The event types the seed names (an AuthVaultix-style licensing backend).
 * The one list behind the panel's catalog page, the webhook filter picker
 * and the CLI's `event-types`; producers may publish any other type too.
 */
export const EVENT_CATALOG: readonly CatalogEventType[] = Object.freeze(
  [
    {
      type: 'auth.login.success',
      description: 'A user signed in.',
      example: { userId: 'u_42', username: 'alice', ip: '203.0.113.9', hwid: 'HW-7F3A-19C2' },
    },
    {
      type: 'auth.login.failed',
      description:
        'A sign-in was refused (wrong password, banned, expired). Repeats from one IP suggest brute force.',
      example: { username: 'alice', ip: '203.0.113.9', reason: 'invalid_password', attempt: 3 },
    },
    {
      type: 'user.register',
      description: 'A new user account was created.',
      example: { userId: 'u_43', username: 'bob', email: 'bob@example.com', ip: '198.51.100.7' },
    },
    {
      type: 'license.redeem',
      description: 'A license key was redeemed by a user.',
      example: { userId: 'u_43', license: 'XXXX-XXXX-XXXX', level: 1, expiresAt: '2027-01-01T00:00:00Z' },
    },
    {
      type: 'license.expired',
      description: "A user's license reached its expiry date.",
      example: { userId: 'u_42', license: 'XXXX-XXXX-XXXX', expiredAt: '2026-11-27T00:00:00Z' },
    },
    {
      type: 'hwid.mismatch',
      description:
        'A sign-in came from a device whose hardware id differs from the one on record (possible sharing or spoofing).',
      example: { userId: 'u_42', expected: 'HW-7F3A-19C2', received: 'HW-0000-0000', ip: '203.0.113.9' },
    },
    {
      type: 'hwid.reset',
      description: "A user's hardware id lock was reset by staff or by the user.",
      example: { userId: 'u_42', resetBy: 'staff', previous: 'HW-7F3A-19C2' },
    },
    {
      type: 'blacklist.added',
      description: 'An IP, hardware id or user was blacklisted.',
      example: { kind: 'ip', value: '203.0.113.9', reason: 'repeated failed logins', addedBy: 'automation' },
    },
    {
      type: 'whitelist.added',
      description: 'An IP, hardware id or user was whitelisted.',
      example: { kind: 'ip', value: '198.51.100.7', addedBy: 'ops@example.com' },
    },
    {
      type: 'payment.success',
      description: 'A payment went through; activate or extend the subscription.',
      example: { userId: 'u_43', orderId: 'ord_1001', amount: 9.99, currency: 'USD', provider: 'stripe' },
    },
    {
      type: 'payment.failed',
      description: 'A payment was declined or failed.',
      example: {
        userId: 'u_43',
        orderId: 'ord_1002',
        amount: 9.99,
        currency: 'USD',
        reason: 'card_declined',
      },
    },
  ].map((entry) => Object.freeze({ ...entry, example: Object.freeze(entry.example) })),
);

/** The catalog's type names, in catalog order. */
export const EVENT_CATALOG_TYPES: readonly string[] = Object.freeze(EVENT_CATALOG.map((e) => e.type));

export function findCatalogEventType(type: string): CatalogEventType | undefined {
  return EVENT_CATALOG.find((e) => e.type === type);
}
