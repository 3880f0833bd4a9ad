import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DataDirLockedError, LOCK_FILE_NAME, acquireDataDirLock } from './data-dir-lock.js';
import { makeTempDir } from './testing/temp-dir.js';

/** The pid of a process that has exited (and so is dead). */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(result.stdout);
}

describe('the data directory lock', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let n = 0;
  const nextDir = () => path.join(temp.path, `data-${(n += 1)}`);
  const lockText = (dir: string) => readFile(path.join(dir, LOCK_FILE_NAME), 'utf8');

  beforeAll(async () => {
    temp = await makeTempDir();
  });
  afterAll(async () => {
    await temp.remove();
  });

  test('when the directory is free, the lock file is created (with the directory) holding our pid, and release removes it', async () => {
    const dir = nextDir();
    const lock = await acquireDataDirLock(dir);
    expect(await lockText(dir)).toBe(`${process.pid}\n`);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  test('when a live process holds it, acquiring fails naming that pid and the directory, and the lock is left alone', async () => {
    const dir = nextDir();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const pid = child.pid ?? 0;
      await acquireDataDirLock(dir, pid);
      const error = await acquireDataDirLock(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataDirLockedError);
      expect((error as Error).message).toBe(
        `another Herald process (pid ${pid}) is using ${dir}; stop it first ` +
          `(if no such process is Herald, delete ${path.join(dir, LOCK_FILE_NAME)})`,
      );
      expect(await lockText(dir)).toBe(`${pid}\n`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('when the holder died, its lock is taken over', async () => {
    const dir = nextDir();
    await acquireDataDirLock(dir, deadPid());
    const lock = await acquireDataDirLock(dir);
    expect(await lockText(dir)).toBe(`${process.pid}\n`);
    await lock.release();
  });

  test('a lock file that stays unreadable (no pid) is taken over', async () => {
    const dir = nextDir();
    await acquireDataDirLock(dir, deadPid());
    await writeFile(path.join(dir, LOCK_FILE_NAME), 'garbage');
    const lock = await acquireDataDirLock(dir);
    expect(await lockText(dir)).toBe(`${process.pid}\n`);
    await lock.release();
  });

  test('release leaves a lock that is no longer ours in place', async () => {
    const dir = nextDir();
    const lock = await acquireDataDirLock(dir);
    await writeFile(path.join(dir, LOCK_FILE_NAME), '4194303\n');
    await lock.release();
    expect(await lockText(dir)).toBe('4194303\n');
  });

  test('a lock file with our own pid that this process does not hold is taken over (a restarted container gets the same pid)', async () => {
    const dir = nextDir();
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, LOCK_FILE_NAME), `${process.pid}\n`);
    const lock = await acquireDataDirLock(dir);
    expect(await lockText(dir)).toBe(`${process.pid}\n`);
    // While held here, a second acquire in this process is refused.
    await expect(acquireDataDirLock(dir)).rejects.toBeInstanceOf(DataDirLockedError);
    await lock.release();
    const again = await acquireDataDirLock(dir);
    await again.release();
  });

  test('two acquirers racing for a free directory: exactly one wins', async () => {
    const dir = nextDir();
    const results = await Promise.allSettled([
      acquireDataDirLock(dir, process.pid),
      acquireDataDirLock(dir, process.pid),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(DataDirLockedError);
  });
});
