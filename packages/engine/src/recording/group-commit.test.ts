import { GroupCommitter } from './group-commit.js';

describe('GroupCommitter', () => {
  test('when items are submitted together, they are written in one batch and each caller gets its result', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommitter<number, number>({
      write: async (items) => {
        batches.push(items);
        return items.map((i) => i * 10);
      },
    });
    const results = await Promise.all([1, 2, 3].map((i) => gc.submit(i)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  test('when a batch is being written, later items wait for the next batch, and no caller resolves before its write', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const written: number[] = [];
    const gc = new GroupCommitter<number, void>({
      write: async (items) => {
        if (items[0] === 1) await gate;
        written.push(...items);
        return items.map(() => undefined);
      },
    });
    let secondDone = false;
    const first = gc.submit(1);
    await Promise.resolve();
    await Promise.resolve();
    const second = gc.submit(2).then(() => (secondDone = true));
    const third = gc.submit(3);
    await new Promise((r) => setTimeout(r, 10));
    expect(secondDone).toBe(false);
    release();
    await Promise.all([first, second, third]);
    expect(written).toEqual([1, 2, 3]);
    expect(gc.stats.batches).toBe(2);
  });

  test('when the database is unreachable, the batch is retried until it commits and nothing is dropped', async () => {
    let failures = 3;
    const sleeps: number[] = [];
    const gc = new GroupCommitter<string, string>({
      write: async (items) => {
        if (failures-- > 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return items;
      },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await expect(gc.submit('a')).resolves.toBe('a');
    expect(sleeps).toEqual([100, 200, 400]);
  });

  test('when one item violates a constraint, only that caller fails', async () => {
    const gc = new GroupCommitter<number, number>({
      write: async (items) => {
        if (items.includes(3)) throw Object.assign(new Error('check violation'), { code: '23514' });
        return items;
      },
    });
    const settled = await Promise.allSettled([1, 2, 3, 4].map((i) => gc.submit(i)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  });

  test('when more items queue than one batch holds, they are split into batches of at most maxBatch', async () => {
    const sizes: number[] = [];
    const gc = new GroupCommitter<number, number>({
      maxBatch: 4,
      write: async (items) => {
        sizes.push(items.length);
        return items;
      },
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => gc.submit(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });

  test('when a batch commits, onBatch gets its size, how long its oldest item waited, and the results', async () => {
    const seen: { size: number; waitMs: number; results: readonly number[] }[] = [];
    const gc = new GroupCommitter<number, number>({
      write: async (items) => {
        await new Promise((r) => setTimeout(r, 20));
        return items.map((i) => i * 2);
      },
      onBatch: (size, waitMs, results) => seen.push({ size, waitMs, results }),
    });
    await Promise.all([1, 2].map((i) => gc.submit(i)));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.size).toBe(2);
    expect(seen[0]!.results).toEqual([2, 4]);
    expect(seen[0]!.waitMs).toBeGreaterThanOrEqual(15);
  });

  test('when maxInFlight is 2, a second batch is written while the first commits, and a third waits for a free slot', async () => {
    const releases: (() => void)[] = [];
    const started: number[][] = [];
    const gc = new GroupCommitter<number, number>({
      maxInFlight: 2,
      write: async (items) => {
        started.push(items);
        await new Promise<void>((r) => releases.push(r));
        return items;
      },
    });
    const first = gc.submit(1);
    await new Promise((r) => setTimeout(r, 5));
    const second = [gc.submit(2), gc.submit(3)];
    await new Promise((r) => setTimeout(r, 5));
    const third = gc.submit(4);
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual([[1], [2, 3]]);
    expect(gc.stats.writing).toBe(2);
    releases[1]!();
    await expect(Promise.all(second)).resolves.toEqual([2, 3]);
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual([[1], [2, 3], [4]]);
    releases[0]!();
    releases[2]!();
    await expect(Promise.all([first, third])).resolves.toEqual([1, 4]);
    await gc.flush();
    expect(gc.stats).toEqual({ batches: 3, items: 4, queued: 0, writing: 0 });
  });

  describe('with a linger', () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const recording = (batches: number[][]) =>
      new GroupCommitter<number, number>({
        lingerMs: 150,
        lingerBelow: 4,
        write: async (items) => {
          batches.push(items);
          return items;
        },
      });

    test('items that trickle in within the linger share one write, and none commits before its batch starts', async () => {
      const batches: number[][] = [];
      const gc = recording(batches);
      const started = performance.now();
      const first = gc.submit(1);
      await sleep(20);
      const second = gc.submit(2);
      await sleep(20);
      expect(batches).toEqual([]);
      await Promise.all([first, second, gc.submit(3)]);
      expect(batches).toEqual([[1, 2, 3]]);
      // The batch waited for its oldest item's linger (timers may fire a little early).
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    });

    test('a batch that reaches lingerBelow starts at once', async () => {
      const batches: number[][] = [];
      const gc = recording(batches);
      const started = performance.now();
      await Promise.all([1, 2, 3, 4].map((i) => gc.submit(i)));
      expect(batches).toEqual([[1, 2, 3, 4]]);
      expect(performance.now() - started).toBeLessThan(100);
    });

    test('flush writes what is queued without waiting out the linger', async () => {
      const batches: number[][] = [];
      const gc = recording(batches);
      const started = performance.now();
      const pending = gc.submit(7);
      await gc.flush();
      await expect(pending).resolves.toBe(7);
      expect(batches).toEqual([[7]]);
      expect(performance.now() - started).toBeLessThan(100);
    });
  });
});
