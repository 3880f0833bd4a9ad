import { ValidationError } from './errors.js';
import { MAX_EVENT_DATA_DEPTH, checkEventInput, parseEventInput } from './event-input.js';

describe('checkEventInput', () => {
  test('when the event is well formed, there are no issues and the data JSON is returned', () => {
    const r = checkEventInput({ type: 'auth.login.success', data: { user: 'u1' }, idempotencyKey: 'k-1' });
    expect(r.issues).toEqual([]);
    expect(r.dataJson).toBe('{"user":"u1"}');
  });

  test.each([
    ['a missing type', { data: {} }, 'type'],
    ['a type with a space', { type: 'auth login', data: {} }, 'type'],
    ['a type of 257 characters', { type: 'a'.repeat(257), data: {} }, 'type'],
    ['a type with a colon', { type: 'a:b', data: {} }, 'type'],
    ['array data', { type: 't', data: [1] }, 'data'],
    ['null data', { type: 't', data: null }, 'data'],
    ['string data', { type: 't', data: 'x' }, 'data'],
    ['an empty idempotency key', { type: 't', data: {}, idempotencyKey: '' }, 'idempotencyKey'],
    ['an idempotency key with a newline', { type: 't', data: {}, idempotencyKey: 'a\nb' }, 'idempotencyKey'],
    ['a numeric idempotency key', { type: 't', data: {}, idempotencyKey: 5 }, 'idempotencyKey'],
  ])('when the event has %s, the issue names %s', (_what, input, field) => {
    expect(checkEventInput(input).issues.map((i) => i.field)).toEqual([field]);
  });

  test('when data serializes past the limit, it is refused', () => {
    const r = checkEventInput({ type: 't', data: { s: 'x'.repeat(300 * 1024) } });
    expect(r.issues).toEqual([{ field: 'data', message: 'must be at most 262144 bytes as JSON' }]);
  });

  test('when data holds a NUL character, it is refused; the text "\\u0000" is not', () => {
    expect(checkEventInput({ type: 't', data: { s: 'a\u0000b' } }).issues.map((i) => i.field)).toEqual([
      'data',
    ]);
    expect(checkEventInput({ type: 't', data: { s: 'a\\u0000b' } }).issues).toEqual([]);
  });

  test('when data holds a lone surrogate (in a value or a key), it is refused; whole characters and the escaped text are not', () => {
    for (const data of [
      { s: 'cut \ud83d' },
      { s: '\ude00 tail' },
      { ['k\udfff']: 1 },
      { a: [{ b: '\ud800' }] },
    ]) {
      expect(checkEventInput({ type: 't', data }).issues).toEqual([
        {
          field: 'data',
          message:
            'must not contain a lone UTF-16 surrogate (half of a character, e.g. a string cut inside an emoji)',
        },
      ]);
    }
    expect(checkEventInput({ type: 't', data: { s: 'emoji 😀 ok', t: 'text \\ud800' } }).issues).toEqual([]);
  });

  test(`when data nests deeper than ${MAX_EVENT_DATA_DEPTH}, it is refused; brackets inside strings do not count`, () => {
    // An object `depth` levels deep, arrays and objects taking turns, an object outermost.
    const nest = (depth: number): Record<string, unknown> => {
      let value: unknown = {};
      for (let level = depth - 1; level >= 1; level--) value = level % 2 === 1 ? { n: value } : [value];
      return value as Record<string, unknown>;
    };
    expect(checkEventInput({ type: 't', data: nest(MAX_EVENT_DATA_DEPTH) }).issues).toEqual([]);
    expect(checkEventInput({ type: 't', data: nest(MAX_EVENT_DATA_DEPTH + 1) }).issues).toEqual([
      { field: 'data', message: `must not nest arrays and objects more than ${MAX_EVENT_DATA_DEPTH} deep` },
    ]);
    expect(checkEventInput({ type: 't', data: { s: '['.repeat(1000) + '"{' } }).issues).toEqual([]);
  });

  test('when data has a cycle, it is refused rather than thrown', () => {
    const data: Record<string, unknown> = {};
    data['self'] = data;
    expect(checkEventInput({ type: 't', data }).issues.map((i) => i.field)).toEqual(['data']);
  });

  test('when an index is given, every issue carries it', () => {
    expect(checkEventInput('nope', { index: 3 }).issues).toEqual([
      { field: 'event', message: 'must be an object with type and data', index: 3 },
    ]);
  });

  test('when parsing a bad event, a ValidationError lists every field', () => {
    expect(() => parseEventInput({ type: '', data: 1 })).toThrow(ValidationError);
    try {
      parseEventInput({ type: '', data: 1 });
    } catch (error) {
      expect((error as ValidationError).issues.map((i) => i.field)).toEqual(['type', 'data']);
    }
  });
});
