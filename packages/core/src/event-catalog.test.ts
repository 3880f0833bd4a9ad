import { EVENT_CATALOG, EVENT_CATALOG_TYPES, findCatalogEventType } from './event-catalog.js';
import { checkEventInput } from './event-input.js';

describe('event catalog', () => {
  test('it holds exactly the seed types, in the seed order, each once', () => {
    expect(EVENT_CATALOG_TYPES).toEqual([
      'auth.login.success',
      'auth.login.failed',
      'user.register',
      'license.redeem',
      'license.expired',
      'hwid.mismatch',
      'hwid.reset',
      'blacklist.added',
      'whitelist.added',
      'payment.success',
      'payment.failed',
    ]);
  });

  test('every entry is a publishable event: valid type, object example, non-empty description', () => {
    for (const entry of EVENT_CATALOG) {
      expect(checkEventInput({ type: entry.type, data: { ...entry.example } }).issues).toEqual([]);
      expect(entry.description.length).toBeGreaterThan(10);
    }
  });

  test('when code tries to change the catalog, it cannot', () => {
    expect(Object.isFrozen(EVENT_CATALOG)).toBe(true);
    expect(Object.isFrozen(EVENT_CATALOG[0])).toBe(true);
    expect(Object.isFrozen(EVENT_CATALOG[0]?.example)).toBe(true);
  });

  test('when a type is looked up, known types are found and others are not', () => {
    expect(findCatalogEventType('hwid.reset')?.description).toMatch(/hardware id/);
    expect(findCatalogEventType('HWID.RESET')).toBeUndefined();
    expect(findCatalogEventType('order.created')).toBeUndefined();
  });
});
