import type { Socket } from 'node:net';
import { Redis, type Cluster } from 'ioredis';
import { startRedisCluster, TEST_REDIS_URL, waitUntil, type LocalRedisCluster } from '@herald/testkit';
import { createRedisConnection } from './connection.js';

/** Counts the writes that reach `socket`'s handle (one per write syscall batch). */
function countWrites(socket: Socket): { readonly count: number } {
  const counter = { count: 0 };
  const internals = socket as unknown as {
    _write: (...args: unknown[]) => void;
    _writev: (...args: unknown[]) => void;
  };
  for (const method of ['_write', '_writev'] as const) {
    const original = internals[method];
    internals[method] = function (this: unknown, ...args: unknown[]) {
      counter.count += 1;
      original.apply(this, args);
    };
  }
  return counter;
}

function socketOf(redis: Redis): Socket {
  return redis.stream;
}

/** 200 commands issued in one turn of the event loop; each must get its own reply, in order. */
async function echoMany(redis: Redis | Cluster, key = 'x'): Promise<void> {
  const sent = Array.from({ length: 200 }, (_, i) => `${key}-${i}`);
  const replies = await Promise.all(sent.map((value) => redis.echo(value)));
  expect(replies).toEqual(sent);
}

describe('Redis connections coalesce the writes of one event-loop turn', () => {
  const opened: (Redis | Cluster)[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((r) => r.quit().catch(() => undefined)));
  });
  function open(): Redis {
    const redis = createRedisConnection(
      { mode: 'single', url: TEST_REDIS_URL },
      { connectionName: 'herald-test' },
    );
    opened.push(redis);
    return redis as Redis;
  }

  test('when 200 commands are issued in one turn, they leave in one write and each gets its own reply in order', async () => {
    const redis = open();
    await redis.ping();
    const writes = countWrites(socketOf(redis));
    await echoMany(redis);
    expect(writes.count).toBe(1);

    // The same commands on a plain ioredis connection: one write each (what the coalescing saves).
    const plain = new Redis(TEST_REDIS_URL);
    opened.push(plain);
    await plain.ping();
    const plainWrites = countWrites(socketOf(plain));
    await echoMany(plain);
    expect(plainWrites.count).toBeGreaterThan(100);
  });

  test('when a command fails among others, only it is rejected and the rest get their replies', async () => {
    const redis = open();
    await redis.ping();
    const writes = countWrites(socketOf(redis));
    const results = await Promise.allSettled([
      redis.set('herald-test-coalesce', 'v', 'EX', 10),
      redis.incr('herald-test-coalesce'),
      redis.get('herald-test-coalesce'),
      redis.del('herald-test-coalesce'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'v' });
    expect(writes.count).toBe(1);
  });

  test('when the connection is killed, the new socket it reconnects with coalesces too', async () => {
    const redis = open();
    const id = await redis.client('ID');
    const first = socketOf(redis);
    const killer = new Redis(TEST_REDIS_URL);
    opened.push(killer);
    await killer.client('KILL', 'ID', String(id));
    await waitUntil(async () => socketOf(redis) !== first && redis.status === 'ready', {
      what: 'ioredis reconnected',
    });
    const writes = countWrites(socketOf(redis));
    await echoMany(redis);
    expect(writes.count).toBe(1);
  });

  describe('in cluster mode', () => {
    let cluster: LocalRedisCluster;
    beforeAll(async () => {
      cluster = await startRedisCluster();
    }, 60_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    test("each node's socket coalesces its writes", async () => {
      const redis = createRedisConnection(
        { mode: 'cluster', url: 'redis://127.0.0.1:1', nodes: cluster.nodes },
        { connectionName: 'herald-test' },
      ) as Cluster;
      opened.push(redis);
      // Keys in one hash slot all go to one node.
      await redis.set('{herald-test}:k', '1', 'EX', 10);
      // The others answer MOVED.
      const holds = await Promise.allSettled(redis.nodes('master').map((n) => n.exists('{herald-test}:k')));
      const slotNode =
        redis.nodes('master')[holds.findIndex((r) => r.status === 'fulfilled' && r.value === 1)];
      expect(slotNode).toBeDefined();
      const writes = countWrites(socketOf(slotNode!));
      const replies = await Promise.all(
        Array.from({ length: 100 }, (_, i) => redis.set(`{herald-test}:k${i}`, String(i), 'EX', 10)),
      );
      expect(replies.every((r) => r === 'OK')).toBe(true);
      expect(writes.count).toBe(1);
    });
  });
});
