import { isValidEventFilter, matchesEventFilter } from './event-filter.js';

describe('matchesEventFilter', () => {
  test.each([
    [[], 'anything', true],
    [['*'], 'auth.login.success', true],
    [['auth.login.success'], 'auth.login.success', true],
    [['auth.login.success'], 'auth.login.failed', false],
    [['auth.*'], 'auth.login.failed', true],
    [['auth.*'], 'auth', false],
    [['auth.*'], 'authx.login', false],
    [['license.redeem', 'payment.*'], 'payment.failed', true],
    [['license.redeem', 'payment.*'], 'hwid.mismatch', false],
  ])('when the filter is %j and the type is %s, it matches: %s', (filters, type, expected) => {
    expect(matchesEventFilter(filters, type)).toBe(expected);
  });
});

describe('isValidEventFilter', () => {
  test.each(['*', 'auth.*', 'user.register', 'a-b_c.d'])('when the filter is %s, it is valid', (f) => {
    expect(isValidEventFilter(f)).toBe(true);
  });
  test.each(['', 'auth.', '*.login', 'a..b', 'a b', 'auth.*.x', 'a:b'])(
    'when the filter is "%s", it is refused',
    (f) => {
      expect(isValidEventFilter(f)).toBe(false);
    },
  );
});
