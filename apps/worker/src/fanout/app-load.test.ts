import { AppLoad } from './app-load.js';

test('when an app queues more than the threshold within about a second, it is busy; other apps are not', () => {
  let now = 10_000;
  const load = new AppLoad({ busyPerSecond: 100, now: () => now });
  expect(load.record('app_a', 60)).toBe(false);
  expect(load.record('app_a', 60)).toBe(true);
  expect(load.record('app_b', 5)).toBe(false);
  now += 1_000;
  // The previous second still counts, so a steady flood stays busy.
  expect(load.record('app_a', 1)).toBe(true);
  now += 2_000;
  expect(load.record('app_a', 1)).toBe(false);
});
