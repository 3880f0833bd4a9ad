import { isIPv4 } from 'node:net';
import { isForbiddenAddress } from './address.js';
import { resolveWithSystem, resolveWithTimeout, type Resolver } from './resolve.js';

export const MAX_WEBHOOK_URL_LENGTH = 2048;
const DEFAULT_RESOLVE_TIMEOUT_MS = 5_000;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

export interface ValidateWebhookUrlOptions {
  allowPrivateNetworks: boolean;
  /** Defaults to the system resolver (dns.lookup, every address). */
  resolve?: Resolver;
  /** How long to wait for the resolver before accepting the URL with a warning. Default 5,000. */
  timeoutMs?: number;
}

export type WebhookUrlValidation =
  { ok: true; url: string; warnings: string[] } | { ok: false; error: string };

const fail = (error: string): WebhookUrlValidation => ({ ok: false, error });

/** Why `host` (already lower-cased and punycoded by URL parsing) is not a DNS name, or null. */
function findDnsNameProblem(host: string): string | null {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0) return 'it is empty';
  if (name.length > 253) return 'it is longer than 253 characters';
  for (const label of name.split('.')) {
    if (label.length === 0) return 'it has an empty label';
    if (label.length > 63) return 'a label is longer than 63 characters';
    if (!DNS_LABEL.test(label)) {
      return 'labels may hold only letters, digits and hyphens, and may not start or end with a hyphen';
    }
  }
  return null;
}

// RFC 6761: these names are loopback whatever a resolver says about them.
function isLocalhostName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Checks a webhook URL before it is saved (DESIGN.md §7, "Webhook URLs").
 * Messages may name the scheme and host but never the path or query: chat
 * webhook URLs (Discord, Telegram) carry their token there. The connect-time
 * guard (`createGuardedAgent`) checks again, because DNS can change after this.
 */
export async function validateWebhookUrl(
  input: string,
  options: ValidateWebhookUrlOptions,
): Promise<WebhookUrlValidation> {
  if (typeof input !== 'string') return fail('URL must be a string');
  if (input.length > MAX_WEBHOOK_URL_LENGTH) {
    return fail(`URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return fail('URL is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return fail(`URL scheme must be http or https, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.username !== '' || url.password !== '') {
    return fail('URL must not contain a user name or password');
  }
  // Punycode and percent-decoding can make the normalised form longer than the input.
  if (url.href.length > MAX_WEBHOOK_URL_LENGTH) {
    return fail(`URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters once normalised`);
  }
  if (url.port === '0') return fail('URL port must not be 0');

  // URL parsing has already turned 2130706433, 0x7f.1 and 0177.0.0.1 into
  // dotted decimal and compressed IPv6, so this is the host that would be dialled.
  const host = url.hostname;
  const policy = { allowPrivateNetworks: options.allowPrivateNetworks };
  if (host.startsWith('[') || isIPv4(host)) {
    const verdict = isForbiddenAddress(host, policy);
    if (verdict.forbidden) return fail(`URL host is not allowed: ${verdict.reason}`);
    return { ok: true, url: url.href, warnings: [] };
  }

  const problem = findDnsNameProblem(host);
  if (problem !== null) return fail(`URL host ${host} is not a valid DNS name: ${problem}`);
  if (isLocalhostName(host) && !options.allowPrivateNetworks) {
    return fail(`URL host ${host} is a loopback name; private networks are not allowed`);
  }

  let addresses: string[];
  try {
    addresses = await resolveWithTimeout(
      options.resolve ?? resolveWithSystem,
      host,
      options.timeoutMs ?? DEFAULT_RESOLVE_TIMEOUT_MS,
    );
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const why = typeof code === 'string' ? code : 'resolver error';
    return {
      ok: true,
      url: url.href,
      warnings: [`host ${host} did not resolve (${why}); it will be checked when Herald connects`],
    };
  }
  if (addresses.length === 0) {
    return {
      ok: true,
      url: url.href,
      warnings: [`host ${host} resolved to no address; it will be checked when Herald connects`],
    };
  }
  // One forbidden address is enough: a client may be handed any of them.
  for (const address of addresses) {
    const verdict = isForbiddenAddress(address, policy);
    if (verdict.forbidden) return fail(`URL host ${host} resolves to a forbidden address: ${verdict.reason}`);
  }
  return { ok: true, url: url.href, warnings: [] };
}
