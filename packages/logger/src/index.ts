import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  name: string;
  level?: LevelWithSilent;
  /** Where lines go: stdout unless given; 'stderr' for CLIs whose stdout is data. */
  destination?: DestinationStream | 'stderr';
}

// Anything that may carry a secret, a token or an endpoint URL (Discord and
// Telegram URLs embed tokens) is censored wherever it appears in a log line.
export const REDACT_PATHS = [
  'secret',
  '*.secret',
  'password',
  '*.password',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'key',
  '*.key',
  'url',
  '*.url',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'cookie',
  '*.cookie',
  'DATABASE_URL',
  'REDIS_URL',
];

/** Buffered lines reach stdout at least this often (and at exit). */
const STDOUT_FLUSH_MS = 200;

/**
 * stdout, written in chunks of ≥ 4 KiB (or every STDOUT_FLUSH_MS) rather
 * than one write per line: at thousands of deliveries a second the syscall
 * per line cost more than the line. pino flushes it synchronously on exit;
 * lines of the last 200 ms are lost only if the process is SIGKILLed.
 */
function bufferedStdout(): DestinationStream {
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const timer = setInterval(() => {
    try {
      stream.flush();
    } catch {
      clearInterval(timer); // closed
    }
  }, STDOUT_FLUSH_MS);
  timer.unref();
  return stream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination === 'stderr'
      ? pino.destination({ fd: 2, sync: true })
      : (options.destination ?? bufferedStdout()),
  );
}
