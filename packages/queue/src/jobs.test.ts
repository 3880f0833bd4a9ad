import { parseEventJobData } from './jobs.js';

const GOOD = {
  v: 1,
  id: 'msg_01JZ0000000000000000000000',
  appId: 'app_01JZ0000000000000000000000',
  type: 'auth.login.success',
  timestamp: '2026-11-27T12:00:00.000Z',
  data: { user: 'u1', note: 'a backslash and u0000 as text: \\u0000' },
};

describe('parseEventJobData (the {events} job payload boundary)', () => {
  test('when the job is what the client publishes, it is taken as is', () => {
    expect(parseEventJobData(GOOD)).toBe(GOOD);
    expect(
      parseEventJobData({ ...GOOD, timestamp: '2026-11-27T12:00:00+02:00', idempotencyKey: 'k' }),
    ).toEqual({
      ...GOOD,
      timestamp: '2026-11-27T12:00:00+02:00',
      idempotencyKey: 'k',
    });
  });

  test.each([
    ['no version', { ...GOOD, v: undefined }],
    ['a type with a space', { ...GOOD, type: 'auth login' }],
    ['a 257-character type', { ...GOOD, type: 't'.repeat(257) }],
    ['a timestamp that is not ISO-8601', { ...GOOD, timestamp: 'yesterday' }],
    ['a timestamp of no real day', { ...GOOD, timestamp: '2026-13-45T00:00:00Z' }],
    ['data that is an array', { ...GOOD, data: [1] }],
    ['a NUL character in nested data', { ...GOOD, data: { a: { b: 'x\u0000y' } } }],
    ['a lone surrogate in data', { ...GOOD, data: { s: '\ud800' } }],
    ['a day February does not have', { ...GOOD, timestamp: '2026-02-30T00:00:00Z' }],
    ['the year 0', { ...GOOD, timestamp: '0000-01-01T00:00:00Z' }],
    ['the hour 24', { ...GOOD, timestamp: '2026-01-01T24:00:00Z' }],
    ['an offset of 23 hours', { ...GOOD, timestamp: '2026-01-01T00:00:00+23:00' }],
    ['an empty idempotency key', { ...GOOD, idempotencyKey: '' }],
  ])(
    'when the job has %s, it is refused (the rows would be, after a first attempt went out)',
    (_what, job) => {
      expect(() => parseEventJobData(job)).toThrow('malformed event job');
    },
  );
});
