import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding pnpm-workspace.yaml, above this module: the same
 * whether it runs from its source or compiled into .herald/build
 * (scripts/run-compiled.mjs).
 */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no pnpm-workspace.yaml above ${from}`);
  }
}

/** The repository root (scripts run from here; `.herald/` lives here), with a trailing separator. */
export const REPO_ROOT = findRepoRoot(path.dirname(fileURLToPath(import.meta.url))) + path.sep;
export const STATE_DIR = path.join(REPO_ROOT, '.herald') + path.sep;
