import { lookup } from 'node:dns/promises';

/** Resolves a host name to its IP addresses, in the order they should be tried. */
export type Resolver = (hostname: string) => Promise<string[]>;

/** The system resolver (getaddrinfo, so /etc/hosts counts), every address, in its own order. */
export const resolveWithSystem: Resolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
};

export class ResolveTimeoutError extends Error {
  override readonly name = 'ResolveTimeoutError';
  readonly code = 'HERALD_RESOLVE_TIMEOUT';

  constructor(
    readonly hostname: string,
    readonly timeoutMs: number,
  ) {
    super(`resolving ${hostname} took longer than ${timeoutMs} ms`);
  }
}

/**
 * Runs `resolve` with a deadline. getaddrinfo cannot be cancelled, so a slow
 * lookup keeps its thread-pool slot until it ends; only the caller stops waiting.
 */
export async function resolveWithTimeout(
  resolve: Resolver,
  hostname: string,
  timeoutMs: number,
): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ResolveTimeoutError(hostname, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([resolve(hostname), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
