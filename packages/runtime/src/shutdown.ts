import type { Logger } from '@herald/logger';

/**
 * A signal this soon after the first is the same request delivered twice —
 * a terminal's Ctrl-C and systemd's control-group kill reach every process of
 * the group and `pnpm start` forwards the signal to its children as well — not
 * an impatient second Ctrl-C.
 */
export const REPEATED_SIGNAL_MS = 2_000;

/**
 * Calls `shutdown` once on the first SIGTERM or SIGINT, then exits 0 (1 if
 * shutdown throws). Another signal within REPEATED_SIGNAL_MS is the same
 * request; one after that exits at once (1).
 */
export function onShutdownSignal(
  log: Logger,
  shutdown: (signal: string) => Promise<void>,
  now: () => number = Date.now,
): void {
  let stoppingSince: number | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    if (stoppingSince !== undefined) {
      if (now() - stoppingSince < REPEATED_SIGNAL_MS) {
        log.info({ signal }, 'signal repeated: already shutting down');
        return;
      }
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = now();
    log.info({ signal }, 'shutting down');
    shutdown(signal).then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
