import { chooseStartMode, configuredServices, decideStartMode } from './start-mode.js';

const NOTHING = { postgres: false, redis: false };

describe('decideStartMode', () => {
  test('when auto, nothing configured and nothing answering, it chooses embedded', () => {
    expect(decideStartMode({ embedded: 'auto', servicesConfigured: [], local: NOTHING }).mode).toBe(
      'embedded',
    );
  });

  test('when auto and nothing configured, it asks for a probe before deciding', () => {
    expect(decideStartMode({ embedded: 'auto', servicesConfigured: [], local: undefined })).toEqual({
      mode: 'probe',
    });
  });

  test('when auto and Postgres or Redis answers, it chooses real services', () => {
    for (const local of [
      { postgres: true, redis: false },
      { postgres: false, redis: true },
      { postgres: true, redis: true },
    ]) {
      expect(decideStartMode({ embedded: 'auto', servicesConfigured: [], local }).mode).toBe('services');
    }
  });

  test('when auto and any service variable is set, it chooses real services without probing', () => {
    for (const name of [
      'DATABASE_URL',
      'REDIS_URL',
      'HERALD_REDIS_CLUSTER_NODES',
      'HERALD_REDIS_SENTINELS',
    ]) {
      const decision = decideStartMode({ embedded: 'auto', servicesConfigured: [name], local: undefined });
      expect(decision).toEqual({ mode: 'services', reason: `${name} set` });
    }
  });

  test('when always or never, the setting wins over what is configured or answering', () => {
    const everything = { postgres: true, redis: true };
    expect(
      decideStartMode({ embedded: 'always', servicesConfigured: ['DATABASE_URL'], local: everything }).mode,
    ).toBe('embedded');
    expect(decideStartMode({ embedded: 'never', servicesConfigured: [], local: NOTHING }).mode).toBe(
      'services',
    );
  });
});

describe('configuredServices', () => {
  test('when values are empty they count as unset; other variables are ignored', () => {
    expect(configuredServices({ DATABASE_URL: '', REDIS_URL: undefined, PORT: '3000' })).toEqual([]);
    expect(configuredServices({ REDIS_URL: 'redis://x', HERALD_REDIS_SENTINELS: 'a:1' })).toEqual([
      'REDIS_URL',
      'HERALD_REDIS_SENTINELS',
    ]);
  });
});

describe('chooseStartMode', () => {
  test('when a service variable is set, it never probes', async () => {
    let probes = 0;
    const detect = () => {
      probes += 1;
      return Promise.resolve(NOTHING);
    };
    expect((await chooseStartMode('auto', { DATABASE_URL: 'postgres://db/x' }, detect)).mode).toBe(
      'services',
    );
    expect((await chooseStartMode('always', {}, detect)).mode).toBe('embedded');
    expect(probes).toBe(0);
    expect((await chooseStartMode('auto', {}, detect)).mode).toBe('embedded');
    expect(probes).toBe(1);
  });
});
