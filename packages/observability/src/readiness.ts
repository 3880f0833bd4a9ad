export type Check = () => Promise<unknown>;

export interface ReadinessReport {
  ready: boolean;
  /** `ok`, or why the dependency failed; `draining` when shutting down. */
  checks: Record<string, string>;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs every dependency check at once, each bounded by `timeoutMs`, so a
 * hung dependency makes /readyz answer 503 quickly rather than hang too.
 */
export async function checkReadiness(
  checks: Record<string, Check>,
  options: { timeoutMs?: number; isDraining?: () => boolean } = {},
): Promise<ReadinessReport> {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const names = Object.keys(checks);
  const results = await Promise.allSettled(names.map((name) => withTimeout(checks[name]!(), timeoutMs)));
  const report: ReadinessReport = { ready: true, checks: {} };
  results.forEach((result, i) => {
    const name = names[i]!;
    if (result.status === 'fulfilled') {
      report.checks[name] = 'ok';
    } else {
      report.ready = false;
      const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
      report.checks[name] = `failed: ${reason.slice(0, 200)}`;
    }
  });
  if (options.isDraining?.()) {
    report.ready = false;
    report.checks['process'] = 'draining';
  }
  return report;
}
