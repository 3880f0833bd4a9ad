import { isIPv4, isIPv6 } from 'node:net';

/**
 * What an address is, for the purpose of deciding whether a webhook may reach it.
 * `loopback`, `private`, `shared`, `link-local` and `unique-local` are private
 * networks (allowed when the operator allows them); `public` is always allowed;
 * everything else is never allowed.
 */
export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'unique-local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'reserved'
  | 'invalid';

/** How an IPv6 address carries the IPv4 address it was judged by. */
export type Ipv4Embedding =
  'ipv4-mapped' | 'ipv4-translated' | 'ipv4-compatible' | 'nat64' | '6to4' | 'teredo';

export interface AddressClassification {
  /** The address as judged: zone id and brackets removed, lower case. */
  address: string;
  family: 4 | 6 | null;
  category: AddressCategory;
  /** The special-purpose range that matched (`127.0.0.0/8`), when one did. */
  range?: string;
  /** For IPv6 forms that embed IPv4: the embedded address, which decided `category` and `range`. */
  embedded?: { ipv4: string; via: Ipv4Embedding };
}

export interface AddressPolicy {
  allowPrivateNetworks: boolean;
}

export interface AddressVerdict {
  forbidden: boolean;
  category: AddressCategory;
  /** Why the address is forbidden; names the address and the range, nothing else. */
  reason?: string;
}

const PRIVATE_NETWORK_CATEGORIES: ReadonlySet<AddressCategory> = new Set([
  'loopback',
  'private',
  'shared',
  'link-local',
  'unique-local',
]);

const DESCRIPTIONS: Record<AddressCategory, string> = {
  public: 'a public address',
  loopback: 'a loopback address',
  private: 'a private address',
  shared: 'a shared (carrier-grade NAT) address',
  'link-local': 'a link-local address',
  'unique-local': 'a unique local address',
  metadata: 'a cloud metadata address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  documentation: 'a documentation address',
  reserved: 'a reserved address',
  invalid: 'not an IP address',
};

const EMBEDDING_NAMES: Record<Ipv4Embedding, string> = {
  'ipv4-mapped': 'IPv4-mapped',
  'ipv4-translated': 'IPv4-translated',
  'ipv4-compatible': 'IPv4-compatible',
  nat64: 'NAT64',
  '6to4': '6to4',
  teredo: 'Teredo',
};

interface Range4 {
  cidr: string;
  base: number;
  mask: number;
  category: AddressCategory;
}

interface Range6 {
  cidr: string;
  bytes: Uint8Array;
  bits: number;
  category: AddressCategory;
}

// Order matters: the first match wins, so single addresses come before the
// ranges that contain them (metadata inside link-local and CGNAT, broadcast
// inside 240/4). Anything not listed is public. Sources: the IANA IPv4 and
// IPv6 Special-Purpose Address Registries; entries the registry marks as
// globally reachable (AS112, AMT, PCP/TURN anycast) are left public.
const IPV4_RANGES: readonly Range4[] = (
  [
    ['0.0.0.0/8', 'unspecified'],
    ['10.0.0.0/8', 'private'],
    // Alibaba Cloud's metadata service lives inside CGNAT space.
    ['100.100.100.200/32', 'metadata'],
    ['100.64.0.0/10', 'shared'],
    ['127.0.0.0/8', 'loopback'],
    // AWS, GCP, Azure, OCI instance metadata; ECS task credentials; EKS pod identity.
    ['169.254.169.254/32', 'metadata'],
    ['169.254.170.2/32', 'metadata'],
    ['169.254.170.23/32', 'metadata'],
    ['169.254.0.0/16', 'link-local'],
    ['172.16.0.0/12', 'private'],
    ['192.0.0.0/24', 'reserved'],
    ['192.0.2.0/24', 'documentation'],
    ['192.88.99.0/24', 'reserved'],
    ['192.168.0.0/16', 'private'],
    ['198.18.0.0/15', 'reserved'],
    ['198.51.100.0/24', 'documentation'],
    ['203.0.113.0/24', 'documentation'],
    ['224.0.0.0/4', 'multicast'],
    ['255.255.255.255/32', 'broadcast'],
    ['240.0.0.0/4', 'reserved'],
  ] as const
).map(([cidr, category]) => {
  const [address = '', bits = '32'] = cidr.split('/');
  const prefix = Number(bits);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { cidr, base: ((parseIpv4(address) ?? 0) & mask) >>> 0, mask, category };
});

// Ranges that embed IPv4 are handled before this table (see classifyIpv6).
const IPV6_RANGES: readonly Range6[] = (
  [
    ['::/128', 'unspecified'],
    ['::1/128', 'loopback'],
    ['100::/64', 'reserved'],
    ['2001:db8::/32', 'documentation'],
    // IETF protocol assignments (benchmarking, ORCHID…); Teredo (2001::/32) is judged earlier.
    ['2001::/23', 'reserved'],
    ['3fff::/20', 'documentation'],
    ['5f00::/16', 'reserved'],
    // AWS Nitro instance metadata and ECS / EKS credentials over IPv6.
    ['fd00:ec2::254/128', 'metadata'],
    ['fd00:ec2::23/128', 'metadata'],
    ['fc00::/7', 'unique-local'],
    ['fe80::/10', 'link-local'],
    // Deprecated site-local addresses (RFC 3879) are private-network space.
    ['fec0::/10', 'private'],
    ['ff00::/8', 'multicast'],
  ] as const
).map(([cidr, category]) => {
  const [address = '', bits = '128'] = cidr.split('/');
  return { cidr, bytes: parseIpv6(address) ?? new Uint8Array(16), bits: Number(bits), category };
});

const GLOBAL_UNICAST_6 = { cidr: '2000::/3', bytes: parseIpv6('2000::') ?? new Uint8Array(16), bits: 3 };

/** Parses strict dotted-decimal IPv4 into an unsigned 32-bit number. */
function parseIpv4(address: string): number | null {
  if (!isIPv4(address)) return null;
  let value = 0;
  for (const part of address.split('.')) value = value * 256 + Number(part);
  return value;
}

/** Parses IPv6 (without zone id) into 16 bytes. */
function parseIpv6(address: string): Uint8Array | null {
  if (!isIPv6(address)) return null;
  let text = address;
  // A trailing dotted quad stands for the last two 16-bit groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (v4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const gap = text.indexOf('::');
  let words: number[];
  if (gap === -1) {
    words = groups(text);
  } else {
    const head = groups(text.slice(0, gap));
    const rest = groups(text.slice(gap + 2));
    words = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  }
  if (words.length !== 8) return null;
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

function inPrefix6(bytes: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== prefix[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[whole] ?? 0) & mask) === ((prefix[whole] ?? 0) & mask);
}

function ipv4At(bytes: Uint8Array, offsets: readonly number[], xor = 0): number {
  let value = 0;
  for (const offset of offsets) value = value * 256 + (bytes[offset] ?? 0);
  return (value ^ xor) >>> 0;
}

function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

function classifyIpv4Number(value: number): { category: AddressCategory; range?: string } {
  for (const range of IPV4_RANGES) {
    if ((value & range.mask) >>> 0 === range.base) return { category: range.category, range: range.cidr };
  }
  return { category: 'public' };
}

/** Never allowed, private network (allowed on request), allowed: used to pick the worst reading. */
function severity(category: AddressCategory): number {
  if (category === 'public') return 0;
  return PRIVATE_NETWORK_CATEGORIES.has(category) ? 1 : 2;
}

const prefix6 = (text: string): Uint8Array => parseIpv6(text) ?? new Uint8Array(16);
const MAPPED = prefix6('::ffff:0:0');
const TRANSLATED = prefix6('::ffff:0:0:0');
const NAT64 = prefix6('64:ff9b::');
const NAT64_LOCAL = prefix6('64:ff9b:1::');
const SIX_TO_FOUR = prefix6('2002::');
const TEREDO = prefix6('2001::');
const ZERO = new Uint8Array(16);

// RFC 6052 puts the IPv4 address at a position that depends on the prefix
// length, skipping bits 64–71. A local-use NAT64 prefix inside 64:ff9b:1::/48
// may be /48, /56, /64 or /96, and the length is not visible in the address.
// /96 comes first: among equally bad readings, the usual layout is reported.
const NAT64_LOCAL_LAYOUTS: readonly (readonly number[])[] = [
  [12, 13, 14, 15],
  [9, 10, 11, 12],
  [7, 9, 10, 11],
  [6, 7, 9, 10],
];

function embeddedIpv4(bytes: Uint8Array): { value: number; via: Ipv4Embedding } | null {
  if (inPrefix6(bytes, MAPPED, 96)) return { value: ipv4At(bytes, [12, 13, 14, 15]), via: 'ipv4-mapped' };
  if (inPrefix6(bytes, TRANSLATED, 96)) {
    return { value: ipv4At(bytes, [12, 13, 14, 15]), via: 'ipv4-translated' };
  }
  // ::/96 minus :: and ::1, which the range table names precisely.
  if (inPrefix6(bytes, ZERO, 96) && ipv4At(bytes, [12, 13, 14, 15]) > 1) {
    return { value: ipv4At(bytes, [12, 13, 14, 15]), via: 'ipv4-compatible' };
  }
  if (inPrefix6(bytes, NAT64, 96)) return { value: ipv4At(bytes, [12, 13, 14, 15]), via: 'nat64' };
  if (inPrefix6(bytes, NAT64_LOCAL, 48)) {
    // Judged by the worst of the possible readings, so no prefix length can hide a forbidden target.
    let worst = ipv4At(bytes, NAT64_LOCAL_LAYOUTS[0] ?? []);
    for (const layout of NAT64_LOCAL_LAYOUTS) {
      const candidate = ipv4At(bytes, layout);
      if (severity(classifyIpv4Number(candidate).category) > severity(classifyIpv4Number(worst).category)) {
        worst = candidate;
      }
    }
    return { value: worst, via: 'nat64' };
  }
  if (inPrefix6(bytes, SIX_TO_FOUR, 16)) return { value: ipv4At(bytes, [2, 3, 4, 5]), via: '6to4' };
  // The Teredo client address is stored inverted (RFC 4380 §4).
  if (inPrefix6(bytes, TEREDO, 32)) {
    return { value: ipv4At(bytes, [12, 13, 14, 15], 0xffffffff), via: 'teredo' };
  }
  return null;
}

function classifyIpv6Bytes(bytes: Uint8Array, address: string): AddressClassification {
  const embedded = embeddedIpv4(bytes);
  if (embedded) {
    return {
      address,
      family: 6,
      ...classifyIpv4Number(embedded.value),
      embedded: { ipv4: formatIpv4(embedded.value), via: embedded.via },
    };
  }
  for (const range of IPV6_RANGES) {
    if (inPrefix6(bytes, range.bytes, range.bits)) {
      return { address, family: 6, category: range.category, range: range.cidr };
    }
  }
  // Everything outside 2000::/3 is unassigned or reserved by the IETF.
  if (!inPrefix6(bytes, GLOBAL_UNICAST_6.bytes, GLOBAL_UNICAST_6.bits)) {
    return { address, family: 6, category: 'reserved', range: 'outside 2000::/3' };
  }
  return { address, family: 6, category: 'public' };
}

/**
 * Classifies an IP address string: dotted-decimal IPv4, or IPv6 with optional
 * brackets and zone id (`[fe80::1%eth0]`). Anything else is `invalid` — in
 * particular the shorthand IPv4 forms (`0x7f.1`, `2130706433`, `0177.0.0.1`),
 * which only URL parsing may normalise.
 */
export function classifyAddress(ip: string): AddressClassification {
  const input = ip.trim().toLowerCase();
  let text = input;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  // The zone only picks an interface; the address alone decides where packets go.
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);

  if (zone === -1) {
    const v4 = parseIpv4(text);
    if (v4 !== null) return { address: text, family: 4, ...classifyIpv4Number(v4) };
  }
  const v6 = parseIpv6(text);
  if (v6 !== null) return classifyIpv6Bytes(v6, text);
  return { address: input, family: null, category: 'invalid' };
}

/** Whether a connection to `ip` is forbidden under `policy`; invalid input is forbidden. */
export function isForbiddenAddress(ip: string, policy: AddressPolicy): AddressVerdict {
  const c = classifyAddress(ip);
  if (c.category === 'public') return { forbidden: false, category: c.category };
  const isPrivateNetwork = PRIVATE_NETWORK_CATEGORIES.has(c.category);
  if (isPrivateNetwork && policy.allowPrivateNetworks) return { forbidden: false, category: c.category };
  return { forbidden: true, category: c.category, reason: describeForbidden(c, isPrivateNetwork) };
}

function describeForbidden(c: AddressClassification, isPrivateNetwork: boolean): string {
  if (c.category === 'invalid') return `"${c.address}" is not an IP address`;
  const what = `${DESCRIPTIONS[c.category]}${c.range ? ` (${c.range})` : ''}`;
  const subject = c.embedded
    ? `${c.address} embeds ${c.embedded.ipv4} (${EMBEDDING_NAMES[c.embedded.via]}), which is ${what}`
    : `${c.address} is ${what}`;
  return isPrivateNetwork ? `${subject}; private networks are not allowed` : subject;
}
