import { ValidationError } from '@herald/core';
import { buildEventJob, buildEventJobs, checkEventFields } from './event-jobs.js';

const APP = 'app_01JDQ7Z1V3N8G4XK2M6R9T5B7C';

describe('event jobs', () => {
  test('when an event is valid, the job carries the app, a fresh msg_ id and an ISO timestamp', () => {
    const job = buildEventJob({ app: APP, type: 'a.b', data: { x: 1 }, idempotencyKey: 'k' });
    expect(job).toEqual({
      v: 1,
      id: expect.stringMatching(/^msg_[0-9A-Z]{26}$/),
      appId: APP,
      type: 'a.b',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      data: { x: 1 },
      idempotencyKey: 'k',
    });
  });

  test.each([
    ['a NUL in a value', true, { s: 'a\u0000b' }],
    ['a NUL in a key', true, { 'a\u0000': 1 }],
    ['a NUL after an escaped backslash', true, { s: '\\\u0000' }],
    ['the text \\u0000 (backslash, u, zeros)', false, { s: '\\u0000' }],
    ['two backslashes then u0000 text', false, { s: '\\\\u0000' }],
  ])('when data has %s, it is refused: %s', (_what, refused, data) => {
    const fields = checkEventFields({ type: 't', data }).map((i) => i.field);
    expect(fields).toEqual(refused ? ['data'] : []);
  });

  test('when an event has a field it does not know (idempotency_key for idempotencyKey), it is refused, not ignored', () => {
    expect(() =>
      buildEventJob({ app: APP, type: 't', data: {}, idempotency_key: 'k' } as unknown as Parameters<
        typeof buildEventJob
      >[0]),
    ).toThrow('idempotency_key is not an event field (app, type, data, idempotencyKey)');
    expect(checkEventFields({ type: 't', data: {}, idempotencyKey: undefined })).toEqual([]);
  });

  test('when one item of a batch is bad, nothing is built and every issue has its index', () => {
    let error: unknown;
    try {
      buildEventJobs([
        { app: APP, type: 't', data: {} },
        { app: 'nope', type: 'bad type', data: {} },
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { index: 1, field: 'app', message: expect.any(String) },
      { index: 1, field: 'type', message: expect.any(String) },
    ]);
  });
});
