// A process that shuts down the way Herald's do, for shutdown.int.test.ts:
// its shutdown takes HERALD_TEST_SHUTDOWN_MS.
import { createLogger } from '@herald/logger';
import { onShutdownSignal } from '../shutdown.js';

const log = createLogger({ name: 'shutdown-fixture', level: 'info' });
const takesMs = Number(process.env['HERALD_TEST_SHUTDOWN_MS'] ?? '1000');
onShutdownSignal(log, () => new Promise((resolve) => setTimeout(resolve, takesMs)));
// Keeps the process alive until a signal.
setInterval(() => undefined, 60_000);
log.info('fixture ready');
