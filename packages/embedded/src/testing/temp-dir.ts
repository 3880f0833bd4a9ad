import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh directory under the OS temp dir, for one test file's data dirs. */
export async function makeTempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'herald-embedded-'));
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
