// For `pnpm start`'s embedded mode, which runs one worker in its own process.
export { createWorker } from './worker.js';
export type { HeraldWorker, WorkerDeps } from './worker.js';
