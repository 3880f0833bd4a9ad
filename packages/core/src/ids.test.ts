import { idTimeMs, isId, newId } from './ids.js';

describe('newId', () => {
  test('when made, it carries the kind prefix and 26 base32 characters without a colon', () => {
    const id = newId('delivery');
    expect(id).toMatch(/^dlv_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(id).not.toContain(':');
    expect(isId('delivery', id)).toBe(true);
    expect(isId('event', id)).toBe(false);
  });

  test('when made later, it sorts after an earlier id', () => {
    const earlier = newId('event', 1_700_000_000_000);
    const later = newId('event', 1_700_000_000_001);
    expect(earlier < later).toBe(true);
  });

  test('when made many times in one millisecond, every id is distinct', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('attempt', 42)));
    expect(ids.size).toBe(10_000);
  });

  test('when many ids are made, every base32 digit turns up at every random position (all 80 bits are used)', () => {
    const ids = Array.from({ length: 10_000 }, () => newId('delivery', 42));
    for (let position = 14; position < 30; position++) {
      const digits = new Set(ids.map((id) => id[position]));
      expect(digits.size).toBe(32);
    }
  });

  test('when given malformed input, isId refuses it', () => {
    expect(isId('webhook', 'wh_short')).toBe(false);
    expect(isId('webhook', 42)).toBe(false);
    expect(isId('webhook', `wh_${'I'.repeat(26)}`)).toBe(false);
  });
});

describe('idTimeMs', () => {
  test('when an id is decoded, its time is the millisecond it was made at; a malformed id gives undefined', () => {
    const at = Date.UTC(2026, 10, 27, 9, 0, 0, 123);
    expect(idTimeMs(newId('event', at))).toBe(at);
    expect(idTimeMs('msg_short')).toBeUndefined();
  });
});
