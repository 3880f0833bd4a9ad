import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StartupError } from '@herald/core';

/** The file inside the data directory that says which process has it open. */
export const LOCK_FILE_NAME = 'herald.lock';

/** Another live process holds the data directory. */
export class DataDirLockedError extends StartupError {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly pid: number,
    readonly dataDir: string,
  ) {
    super(
      `another Herald process (pid ${pid}) is using ${dataDir}; stop it first ` +
        `(if no such process is Herald, delete ${path.join(dataDir, LOCK_FILE_NAME)})`,
    );
  }
}

export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

// A lock file is written in two steps (create, then write the pid): a reader
// may see it empty for a moment, so an empty file is re-read before it counts
// as abandoned.
const EMPTY_LOCK_RETRIES = 20;
const EMPTY_LOCK_WAIT_MS = 25;
const TAKEOVER_ATTEMPTS = 5;

/**
 * Lock files this process holds or is taking. A lock file with our own pid
 * that is not in here was left by an earlier process that had the same pid —
 * a container restarted after a crash gets the same pid again — so it is
 * stale, not ours.
 */
const heldHere = new Set<string>();

/**
 * Takes the data directory for this process: creates `herald.lock` with our
 * pid exclusively. PGlite itself lets two processes open one directory (and
 * corrupt it), so this is the only guard. A lock whose pid is dead (a crash,
 * SIGKILL) is taken over; a live one refuses with DataDirLockedError.
 */
export async function acquireDataDirLock(dataDir: string, pid: number = process.pid): Promise<DataDirLock> {
  const lockPath = path.join(path.resolve(dataDir), LOCK_FILE_NAME);
  // Registered before the first await, so a second caller in this process is refused at once.
  const ours = pid === process.pid;
  if (ours) {
    if (heldHere.has(lockPath)) throw new DataDirLockedError(pid, dataDir);
    heldHere.add(lockPath);
  }
  try {
    await fs.mkdir(dataDir, { recursive: true });
    for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt += 1) {
      if (await createExclusive(lockPath, pid)) return lockHandle(lockPath, pid);
      const holder = await readHolder(lockPath);
      if (holder === 'gone') continue;
      const live = holder !== 'abandoned' && !(ours && holder === pid) && isAlive(holder);
      if (live) throw new DataDirLockedError(holder, dataDir);
      await takeOverStale(lockPath, holder);
    }
    throw new StartupError(`could not take the lock file ${lockPath}: it keeps changing under us`);
  } catch (error) {
    if (ours) heldHere.delete(lockPath);
    throw error;
  }
}

async function createExclusive(lockPath: string, pid: number): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(lockPath, 'wx', 0o644);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(`${pid}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/** The pid in the lock file; 'gone' when it vanished; 'abandoned' when it stays unreadable. */
async function readHolder(lockPath: string): Promise<number | 'gone' | 'abandoned'> {
  for (let read = 0; read < EMPTY_LOCK_RETRIES; read += 1) {
    let text: string;
    try {
      text = await fs.readFile(lockPath, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return 'gone';
      throw error;
    }
    const pid = parsePid(text);
    if (pid !== undefined) return pid;
    await new Promise((resolve) => setTimeout(resolve, EMPTY_LOCK_WAIT_MS));
  }
  return 'abandoned';
}

/**
 * Moves the stale file aside, then checks it is the one we judged stale: if a
 * faster process took over in between, its fresh lock is put back.
 */
async function takeOverStale(lockPath: string, stale: number | 'abandoned'): Promise<void> {
  const aside = `${lockPath}.${randomUUID()}.stale`;
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  const moved = parsePid(await fs.readFile(aside, 'utf8'));
  const isTheStaleOne = stale === 'abandoned' ? moved === undefined || !isAlive(moved) : moved === stale;
  if (isTheStaleOne) {
    await fs.rm(aside, { force: true });
    return;
  }
  // Not ours to remove: restore it unless yet another lock appeared meanwhile.
  await fs.link(aside, lockPath).catch(() => undefined);
  await fs.rm(aside, { force: true });
}

function lockHandle(lockPath: string, pid: number): DataDirLock {
  let isReleased = false;
  return {
    path: lockPath,
    async release() {
      if (isReleased) return;
      isReleased = true;
      heldHere.delete(lockPath);
      // Remove only our own lock (a process judged dead may have been us).
      const holder = await readHolder(lockPath).catch(() => 'gone' as const);
      if (holder === pid) await fs.rm(lockPath, { force: true });
    },
  };
}

function parsePid(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^[1-9][0-9]{0,9}$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/** Signal 0 checks existence; EPERM means alive but someone else's. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
