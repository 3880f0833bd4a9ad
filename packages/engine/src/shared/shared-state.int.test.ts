import { jest } from '@jest/globals';
import { sql } from 'kysely';
import { createQueuePool } from '@herald/queue';
import {
  createTestDatabase,
  createTestQueue,
  sleep,
  waitUntil,
  type TestDatabase,
  type TestQueue,
  type TestQueueKind,
} from '@herald/testkit';
import { createSharedState } from './create-shared-state.js';
import type { SharedState } from './shared-state.js';

// The same contract on both datastores: what the Redis scripts do, the
// Postgres statements must do too.
describe.each<TestQueueKind>(['redis', 'postgres'])('shared state on %s', (kind) => {
  let t: TestDatabase;
  let queue: TestQueue;
  let shared: SharedState;
  let n = 0;
  const webhook = () => `wh_test${kind}${++n}`;
  const admitNow = (id: string, now: number, intervalMs = 0, toleranceMs = 0) =>
    shared.gate.admit(id, { now, intervalMs, toleranceMs, probeMs: 1_000 });

  beforeAll(async () => {
    t = await createTestDatabase();
    queue = createTestQueue(t.url, kind);
    shared = createSharedState(queue);
  });
  afterAll(async () => {
    await queue.close();
    await t.drop();
  });

  test('when nothing failed and there is no limit, a webhook is admitted and no state is stored', async () => {
    const id = webhook();
    expect(await admitNow(id, 1_000)).toEqual({ until: 0, failures: 0, reason: 0 });
    expect(await shared.gate.inspect(id)).toBeUndefined();
  });

  test('when failures reach the threshold, the circuit opens; then one probe at a time; a success closes it', async () => {
    const id = webhook();
    expect(await shared.gate.recordFailure(id, 1_000, 3, 5_000)).toBe(1);
    expect(await shared.gate.recordFailure(id, 1_000, 3, 5_000)).toBe(2);
    expect(await admitNow(id, 1_001)).toEqual({ until: 0, failures: 2, reason: 0 });
    expect(await shared.gate.recordFailure(id, 2_000, 3, 5_000)).toBe(3);
    expect(await shared.gate.inspect(id)).toEqual(
      expect.objectContaining({ failures: 3, openUntil: 7_000, probe: 0 }),
    );
    expect(await admitNow(id, 3_000)).toEqual({ until: 7_000, failures: 3, reason: 2 });
    // Open window over: one probe goes, the next waits for the probe timeout.
    expect(await admitNow(id, 7_000)).toEqual({ until: 0, failures: 3, reason: 0 });
    expect(await admitNow(id, 7_500)).toEqual({ until: 8_000, failures: 3, reason: 2 });
    expect(await admitNow(id, 8_000)).toEqual({ until: 0, failures: 3, reason: 0 });
    await shared.gate.recordSuccess(id);
    const closed = await shared.gate.inspect(id);
    expect([closed?.failures ?? 0, closed?.openUntil ?? 0, closed?.probe ?? 0]).toEqual([0, 0, 0]);
    expect(await admitNow(id, 8_001)).toEqual({ until: 0, failures: 0, reason: 0 });
  });

  test('when the threshold is 0 the breaker never opens', async () => {
    const id = webhook();
    for (let i = 1; i <= 5; i++) expect(await shared.gate.recordFailure(id, 1_000, 0, 5_000)).toBe(i);
    expect(await admitNow(id, 1_001)).toEqual({ until: 0, failures: 5, reason: 0 });
  });

  test('when paused (429), deliveries wait until then, and a shorter pause never shortens it', async () => {
    const id = webhook();
    await shared.gate.pause(id, 5_000);
    await shared.gate.pause(id, 3_000);
    expect(await admitNow(id, 1_000)).toEqual({ until: 5_000, failures: 0, reason: 1 });
    expect(await admitNow(id, 5_000)).toEqual({ until: 0, failures: 0, reason: 0 });
  });

  test('when rate limited, deliveries are spaced by the interval after the burst', async () => {
    const id = webhook();
    // 2 per second: interval 500 ms, burst of 2.
    expect((await admitNow(id, 10_000, 500, 500)).reason).toBe(0);
    expect((await admitNow(id, 10_000, 500, 500)).reason).toBe(0);
    expect(await admitNow(id, 10_000, 500, 500)).toEqual({ until: 10_500, failures: 0, reason: 3 });
    expect((await admitNow(id, 10_500, 500, 500)).reason).toBe(0);
    expect((await shared.gate.inspect(id))?.tat).toBe(11_500);
  });

  test('when a webhook is cleared, its state is gone', async () => {
    const id = webhook();
    await shared.gate.recordFailure(id, 1_000, 1, 60_000);
    await shared.gate.clear(id);
    expect(await shared.gate.inspect(id)).toBeUndefined();
    expect(await admitNow(id, 2_000)).toEqual({ until: 0, failures: 0, reason: 0 });
  });

  test('when requests come faster than the rate, the excess waits; other keys are not affected', async () => {
    const key = `api-rate:{k${kind}}`;
    // 2 per second: the burst goes, the third waits about one interval.
    expect(await shared.limits.admitRate(key, 500, 500)).toBe(0);
    expect(await shared.limits.admitRate(key, 500, 500)).toBe(0);
    const wait = await shared.limits.admitRate(key, 500, 500);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(500);
    expect(await shared.limits.admitRate(`${key}-other`, 500, 500)).toBe(0);
    await sleep(wait + 20);
    expect(await shared.limits.admitRate(key, 500, 500)).toBe(0);
  });

  test('when hits are counted, the window holds the count and its time left; clearing or expiry resets it', async () => {
    const key = `login:${kind}`;
    expect(await shared.limits.countHit(key, 60_000)).toEqual({ count: 1, ttlMs: expect.any(Number) });
    const second = await shared.limits.countHit(key, 60_000);
    expect(second.count).toBe(2);
    expect(second.ttlMs).toBeGreaterThan(55_000);
    expect(second.ttlMs).toBeLessThanOrEqual(60_000);
    await shared.limits.clearHits(key);
    expect((await shared.limits.countHit(key, 60_000)).count).toBe(1);
    const short = `${key}-short`;
    await shared.limits.countHit(short, 150);
    expect((await shared.limits.countHit(short, 150)).count).toBe(2);
    await sleep(250);
    expect((await shared.limits.countHit(short, 150)).count).toBe(1);
  });

  test('when one process announces a webhook change, another hears it; after close it hears nothing', async () => {
    const heard: (string | undefined)[] = [];
    const subscription = await shared.webhookChanges.subscribe((appId) => heard.push(appId));
    const other = createSharedState(queue);
    await other.webhookChanges.notify('app_one');
    await waitUntil(() => heard.includes('app_one'), { what: 'the change heard' });
    await subscription.close();
    await other.webhookChanges.notify('app_two');
    await sleep(200);
    expect(heard).not.toContain('app_two');
  });

  if (kind === 'postgres') {
    // Redis forgets a gate hash 24 h after its last write (PEXPIRE, on Redis's
    // own clock, which a test cannot move); the Postgres rows carry the
    // callers' clock, so the same rule is checked here with a made-up one.
    const DAY = 86_400_000;
    test('when a gate was not written for 24 hours, its failures, open circuit and pause are forgotten', async () => {
      const id = webhook();
      const t0 = 1_000_000;
      expect(await shared.gate.recordFailure(id, t0, 3, 5_000)).toBe(1);
      expect(await shared.gate.recordFailure(id, t0 + DAY - 1, 3, 5_000)).toBe(2); // within a day: counted on
      // A day after the last failure the count starts again: the circuit does not open.
      expect(await shared.gate.recordFailure(id, t0 + 2 * DAY - 1, 3, 5_000)).toBe(1);
      expect(await admitNow(id, t0 + 2 * DAY)).toEqual({ until: 0, failures: 1, reason: 0 });

      const open = webhook();
      for (let i = 0; i < 3; i++) await shared.gate.recordFailure(open, t0, 3, 10 * DAY);
      expect(await admitNow(open, t0 + DAY - 1)).toEqual({ until: t0 + 10 * DAY, failures: 3, reason: 2 });
      expect(await admitNow(open, t0 + DAY)).toEqual({ until: 0, failures: 0, reason: 0 });
      expect(await shared.gate.inspect(open)).toBeUndefined();

      // A pause is written on the store's clock (now); even one set for longer lasts a day.
      const paused = webhook();
      const until = Date.now() + 2 * DAY;
      await shared.gate.pause(paused, until);
      expect(await admitNow(paused, Date.now())).toEqual({ until, failures: 0, reason: 1 });
      expect(await admitNow(paused, Date.now() + DAY + 1_000)).toEqual({ until: 0, failures: 0, reason: 0 });
    });

    test('when a rate-limited webhook is admitted, its gate is kept a day from that step', async () => {
      const id = webhook();
      const t0 = 5_000_000;
      expect((await admitNow(id, t0, 500, 0)).reason).toBe(0);
      expect(await admitNow(id, t0 + 100, 500, 0)).toEqual({ until: t0 + 500, failures: 0, reason: 3 });
      await shared.gate.recordFailure(id, t0 + 200, 0, 5_000);
      expect((await admitNow(id, t0 + 500, 500, 0)).failures).toBe(1);
      // The admission at t0 + 500 wrote the gate: a day from then it is still there.
      expect((await admitNow(id, t0 + 500 + DAY - 1, 500, 0)).failures).toBe(1);
      expect((await admitNow(id, t0 + 500 + 2 * DAY, 500, 0)).failures).toBe(0);
    });

    test('when the feed is closed while it re-listens after losing its connection, the new connection goes back to the pool', async () => {
      if (queue.kind !== 'postgres') throw new Error('postgres only');
      const pool = createQueuePool({ connectionString: t.url, max: 3 });
      // Keepalive probes after 10 s idle (0 would mean the OS's two hours) keep idle LISTEN connections alive.
      expect((pool as unknown as { options: Record<string, unknown> }).options).toMatchObject({
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      });
      const feed = createSharedState({ kind: 'postgres', pool }).webhookChanges;
      const heard: (string | undefined)[] = [];
      const subscription = await feed.subscribe((appId) => heard.push(appId));
      // The re-listen's connect waits until the feed is closed.
      let letConnect!: () => void;
      const connectHeld = new Promise<void>((resolve) => (letConnect = resolve));
      const connect = pool.connect.bind(pool);
      const held = jest.spyOn(pool, 'connect').mockImplementation((async () => {
        await connectHeld;
        return connect();
      }) as never);
      try {
        await sql`select pg_terminate_backend(pid) from pg_stat_activity
                  where datname = current_database() and query like 'listen %'`.execute(t.db);
        await waitUntil(() => held.mock.calls.length > 0, { what: 'the re-listen to start' });
        await subscription.close();
        letConnect();
        await sleep(300);
      } finally {
        held.mockRestore();
      }
      expect(pool.totalCount - pool.idleCount).toBe(0);
      // Only the drop itself was announced, nothing after the close.
      expect(heard).toEqual([undefined]);
      await pool.end();
    });
  }
});
