import { fileURLToPath } from 'node:url';

/** The repository root (scripts run from here; `.herald/` lives here). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const STATE_DIR = fileURLToPath(new URL('../../../.herald/', import.meta.url));
