// For `pnpm start`'s embedded mode, which runs the admin app in its own process.
export { createApp } from './app.js';
export type { AdminDeps } from './app.js';
export { toAdminSettings } from './settings.js';
