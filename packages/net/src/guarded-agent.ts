import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Agent, buildConnector, errors } from 'undici';
import { isForbiddenAddress } from './address.js';
import { ResolveTimeoutError, resolveWithSystem, resolveWithTimeout, type Resolver } from './resolve.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

// Errors that mean "this address did not answer", after which the next
// checked address is worth a try. Timeouts are not among them, so one slow
// address cannot multiply the connect timeout.
const TRY_NEXT_ADDRESS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'EAFNOSUPPORT',
]);

export interface BlockedConnection {
  /** The host of the URL (a name, or the IP literal). */
  host: string;
  /** The resolved address that was refused. */
  address: string;
  reason: string;
}

/** A connection refused by the guard; callers record the attempt as "blocked". */
export class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
  readonly code = 'HERALD_BLOCKED_ADDRESS';
  readonly host: string;
  readonly address: string;
  readonly reason: string;

  constructor({ host, address, reason }: BlockedConnection) {
    super(`connection to ${host} blocked: ${reason}`);
    this.host = host;
    this.address = address;
    this.reason = reason;
  }
}

/**
 * TLS options for every connection (`ca` for a private CA, say). `host`,
 * `port`, `servername`, `socket`, `path` and `lookup` are the guard's own.
 */
export type GuardedTlsOptions = Omit<
  ConnectionOptions,
  'host' | 'port' | 'servername' | 'socket' | 'path' | 'lookup' | 'timeout'
>;

const GUARD_OWNED_AGENT_OPTIONS = [
  'connect',
  'factory',
  'socketPath',
  'connectTimeout',
  'autoSelectFamily',
  'autoSelectFamilyAttemptTimeout',
] as const;

/** undici Agent options, less those that would route around the guard or that it sets itself. */
export type GuardedAgentPoolOptions = Omit<Agent.Options, (typeof GUARD_OWNED_AGENT_OPTIONS)[number]>;

export interface GuardedConnectorOptions {
  allowPrivateNetworks: boolean;
  /** Resolution plus TCP (plus TLS) connect, each bounded by this. Default 10,000. */
  connectTimeoutMs?: number;
  /** Defaults to the system resolver (dns.lookup, every address). */
  resolve?: Resolver;
  tls?: GuardedTlsOptions;
  /** Whether to offer HTTP/2 over TLS (undici's `allowH2`). */
  allowH2?: boolean;
  /** Called once for every refused connection, before the error reaches undici. */
  onBlocked?: (info: BlockedConnection) => void;
}

export interface GuardedAgentOptions extends Omit<GuardedConnectorOptions, 'allowH2'> {
  agentOptions?: GuardedAgentPoolOptions;
}

/**
 * An undici connector that resolves the host itself, refuses the connection
 * when any resolved address is forbidden, and then dials one of exactly those
 * addresses as an IP literal. Node's net.connect skips DNS for IP literals, so
 * nothing resolves the name a second time and a DNS answer that changes
 * between check and dial (rebinding) has nothing to change. TLS still
 * verifies the certificate against the original host name (`servername`).
 */
export function createGuardedConnector(options: GuardedConnectorOptions): buildConnector.connector {
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const resolve = options.resolve ?? resolveWithSystem;
  const policy = { allowPrivateNetworks: options.allowPrivateNetworks };
  // Stripped at run time too, for callers that bypass the types.
  const {
    host: _h,
    port: _p,
    servername: _s,
    socket: _so,
    path: _pa,
    lookup: _l,
    ...tls
  } = (options.tls ?? {}) as ConnectionOptions;
  const dial = buildConnector({
    ...tls,
    timeout: timeoutMs,
    ...(options.allowH2 === undefined ? {} : { allowH2: options.allowH2 }),
  });

  async function resolveChecked(hostname: string): Promise<string[]> {
    let addresses: string[];
    if (isIP(hostname) !== 0) {
      addresses = [hostname];
    } else {
      try {
        addresses = await resolveWithTimeout(resolve, hostname, timeoutMs);
      } catch (error) {
        if (error instanceof ResolveTimeoutError) {
          throw new errors.ConnectTimeoutError(`Connect Timeout Error (resolving ${hostname})`);
        }
        throw error;
      }
      if (addresses.length === 0) {
        throw Object.assign(new Error(`${hostname} resolved to no address`), { code: 'ENOTFOUND', hostname });
      }
    }
    // Every address is checked before any is dialled: a fallback to the next
    // address must never reach one that was not checked.
    for (const address of addresses) {
      // Only a bare IP literal is dialled without a lookup; anything the
      // classifier would tidy up first (brackets, spaces) is refused instead.
      const verdict =
        isIP(address) === 0
          ? { forbidden: true, reason: `"${address}" is not an IP address` }
          : isForbiddenAddress(address, policy);
      if (verdict.forbidden) {
        const info = { host: hostname, address, reason: verdict.reason ?? 'forbidden address' };
        try {
          options.onBlocked?.(info);
        } catch {
          // A failing hook must not turn a refusal into a different error.
        }
        throw new BlockedAddressError(info);
      }
    }
    return addresses;
  }

  return function guardedConnect(connectOptions, callback) {
    // undici hands IPv6 literals over without brackets. `httpSocket` (an
    // existing socket to upgrade) is dropped: it would skip the dial we check.
    const { httpSocket: _socket, ...rest } = connectOptions;
    const hostname = rest.hostname;
    const isName = isIP(hostname) === 0;
    // SNI and certificate checks use the name from the URL, never the IP we dial.
    const servername = rest.servername || (isName ? hostname.replace(/\.$/, '') : undefined);

    const attempt = (addresses: readonly string[], index: number): void => {
      const address = addresses[index];
      if (address === undefined) {
        callback(new Error(`no address left to try for ${hostname}`), null);
        return;
      }
      try {
        dial({ ...rest, hostname: address, ...(servername ? { servername } : {}) }, (...result) => {
          const [error] = result;
          const code = (error as { code?: unknown } | null)?.code;
          if (
            error &&
            typeof code === 'string' &&
            TRY_NEXT_ADDRESS.has(code) &&
            index + 1 < addresses.length
          ) {
            attempt(addresses, index + 1);
            return;
          }
          callback(...result);
        });
      } catch (error) {
        callback(error instanceof Error ? error : new Error(String(error)), null);
      }
    };

    resolveChecked(hostname).then(
      (addresses) => attempt(addresses, 0),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
}

/**
 * An undici Agent whose every connection goes through `createGuardedConnector`:
 * use it as the `dispatcher` for webhook requests.
 */
export function createGuardedAgent(options: GuardedAgentOptions): Agent {
  const agentOptions: Record<string, unknown> = { ...options.agentOptions };
  // Removed at run time too, for callers that bypass the types: each would
  // replace or route around the guarded connector.
  for (const key of GUARD_OWNED_AGENT_OPTIONS as readonly string[]) delete agentOptions[key];
  const { agentOptions: _agentOptions, ...connectorOptions } = options;
  const connect = createGuardedConnector({ ...connectorOptions, allowH2: options.agentOptions?.allowH2 });
  return new Agent({ ...(agentOptions as Agent.Options), connect });
}
