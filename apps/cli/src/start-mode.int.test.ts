import { detectLocalServices } from '@herald/embedded';
import { unusedPort } from '@herald/testkit';
import { chooseStartMode } from './start-mode.js';

// Against the real local services the test suite runs on (Postgres :5432, Redis :6379).
describe('pnpm start mode, probing real addresses', () => {
  test('when auto, nothing is configured and Postgres and Redis answer at the default addresses, it does not choose embedded', async () => {
    const choice = await chooseStartMode('auto', {}, () => detectLocalServices({ timeoutMs: 1_000 }));
    expect(choice).toEqual({
      mode: 'services',
      reason: 'Postgres and Redis answered at the default address',
    });
  });

  test('when auto and nothing listens at the probed addresses, it chooses embedded', async () => {
    const [pgPort, redisPort] = [await unusedPort(), await unusedPort()];
    const choice = await chooseStartMode('auto', { DATABASE_URL: '', REDIS_URL: '' }, () =>
      detectLocalServices({
        timeoutMs: 1_000,
        postgres: { host: '127.0.0.1', port: pgPort },
        redis: { host: '127.0.0.1', port: redisPort },
      }),
    );
    expect(choice.mode).toBe('embedded');
  });
});
