import { utcDate } from './time.js';

describe('utcDate', () => {
  test('when the fields name a real instant, it is that instant in UTC (years below 100 included)', () => {
    expect(utcDate(2028, 2, 29, 23, 59, 59)?.toISOString()).toBe('2028-02-29T23:59:59.000Z');
    expect(utcDate(50, 1, 2)?.toISOString()).toBe('0050-01-02T00:00:00.000Z');
  });

  test.each([
    ['30 February', [2026, 2, 30]],
    ['29 February of a common year', [2026, 2, 29]],
    ['month 13', [2026, 13, 1]],
    ['day 0', [2026, 1, 0]],
    ['the year 0', [0, 1, 1]],
    ['year 10000', [10000, 1, 1]],
    ['hour 24', [2026, 1, 1, 24]],
    ['minute 60', [2026, 1, 1, 0, 60]],
    ['second 60', [2026, 1, 1, 0, 0, 60]],
    ['a fraction', [2026, 1, 1.5]],
  ])('when given %s, there is no such instant', (_what, fields) => {
    expect(utcDate(...(fields as [number, number, number]))).toBeUndefined();
  });
});
