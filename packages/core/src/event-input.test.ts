import { ValidationError } from './errors.js';
import { checkEventInput, parseEventInput } from './event-input.js';

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
