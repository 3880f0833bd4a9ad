import { classifyAddress, isForbiddenAddress, type AddressCategory } from './address.js';

const DENY_PRIVATE = { allowPrivateNetworks: false };
const ALLOW_PRIVATE = { allowPrivateNetworks: true };

describe('classifyAddress', () => {
  const table: [string, AddressCategory, string][] = [
    ['0.0.0.0', 'unspecified', '0.0.0.0/8'],
    ['0.1.2.3', 'unspecified', '0.0.0.0/8'],
    ['10.0.0.1', 'private', '10.0.0.0/8'],
    ['100.64.0.1', 'shared', '100.64.0.0/10'],
    ['100.127.255.255', 'shared', '100.64.0.0/10'],
    ['100.100.100.200', 'metadata', '100.100.100.200/32'],
    ['127.0.0.1', 'loopback', '127.0.0.0/8'],
    ['127.255.255.254', 'loopback', '127.0.0.0/8'],
    ['169.254.1.1', 'link-local', '169.254.0.0/16'],
    ['169.254.169.254', 'metadata', '169.254.169.254/32'],
    ['169.254.170.2', 'metadata', '169.254.170.2/32'],
    ['172.16.0.1', 'private', '172.16.0.0/12'],
    ['172.31.255.255', 'private', '172.16.0.0/12'],
    ['192.0.0.8', 'reserved', '192.0.0.0/24'],
    ['192.0.2.1', 'documentation', '192.0.2.0/24'],
    ['192.88.99.1', 'reserved', '192.88.99.0/24'],
    ['192.168.1.1', 'private', '192.168.0.0/16'],
    ['198.18.0.1', 'reserved', '198.18.0.0/15'],
    ['198.19.255.255', 'reserved', '198.18.0.0/15'],
    ['198.51.100.7', 'documentation', '198.51.100.0/24'],
    ['203.0.113.9', 'documentation', '203.0.113.0/24'],
    ['224.0.0.1', 'multicast', '224.0.0.0/4'],
    ['239.255.255.250', 'multicast', '224.0.0.0/4'],
    ['240.0.0.1', 'reserved', '240.0.0.0/4'],
    ['255.255.255.254', 'reserved', '240.0.0.0/4'],
    ['255.255.255.255', 'broadcast', '255.255.255.255/32'],
    ['::', 'unspecified', '::/128'],
    ['::1', 'loopback', '::1/128'],
    ['0:0:0:0:0:0:0:1', 'loopback', '::1/128'],
    ['fe80::1', 'link-local', 'fe80::/10'],
    ['febf::1', 'link-local', 'fe80::/10'],
    ['fc00::1', 'unique-local', 'fc00::/7'],
    ['fd12:3456:789a::1', 'unique-local', 'fc00::/7'],
    ['fd00:ec2::254', 'metadata', 'fd00:ec2::254/128'],
    ['FD00:EC2:0:0:0:0:0:254', 'metadata', 'fd00:ec2::254/128'],
    ['fec0::1', 'private', 'fec0::/10'],
    ['ff02::1', 'multicast', 'ff00::/8'],
    ['ff0e::1', 'multicast', 'ff00::/8'],
    ['100::1', 'reserved', '100::/64'],
    ['2001:db8::1', 'documentation', '2001:db8::/32'],
    ['2001:2::1', 'reserved', '2001::/23'],
    ['3fff::1', 'documentation', '3fff::/20'],
    ['::2:0:0:1', 'reserved', 'outside 2000::/3'],
    ['4000::1', 'reserved', 'outside 2000::/3'],
  ];

  test.each(table)('when given %s, then it is %s', (ip, category, range) => {
    const result = classifyAddress(ip);
    expect(result.category).toBe(category);
    expect(result.range).toBe(range);
    expect(result.embedded).toBeUndefined();
  });

  // Just outside the ranges above, and ordinary public addresses.
  const publicAddresses = [
    '1.1.1.1',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '93.184.215.14',
    '2606:4700::1111',
    '2a00:1450:4001:81d::200e',
  ];

  test.each(publicAddresses)('when given %s, then it is public', (ip) => {
    expect(classifyAddress(ip)).toEqual({
      address: ip,
      family: ip.includes(':') ? 6 : 4,
      category: 'public',
    });
  });

  const embedded: [string, string, string, AddressCategory][] = [
    ['::ffff:127.0.0.1', '127.0.0.1', 'ipv4-mapped', 'loopback'],
    ['::ffff:7f00:1', '127.0.0.1', 'ipv4-mapped', 'loopback'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', '169.254.169.254', 'ipv4-mapped', 'metadata'],
    ['::ffff:8.8.8.8', '8.8.8.8', 'ipv4-mapped', 'public'],
    ['::ffff:0:7f00:1', '127.0.0.1', 'ipv4-translated', 'loopback'],
    ['::127.0.0.1', '127.0.0.1', 'ipv4-compatible', 'loopback'],
    ['::a00:1', '10.0.0.1', 'ipv4-compatible', 'private'],
    ['::0.0.0.2', '0.0.0.2', 'ipv4-compatible', 'unspecified'],
    ['64:ff9b::127.0.0.1', '127.0.0.1', 'nat64', 'loopback'],
    ['64:ff9b::a9fe:a9fe', '169.254.169.254', 'nat64', 'metadata'],
    ['64:ff9b::808:808', '8.8.8.8', 'nat64', 'public'],
    // Local-use NAT64: read as /96 this is 8.8.8.8, but a /48 translator (RFC 6052
    // layout, u octet skipped) would send it to 127.1.2.3, so the worse reading wins.
    ['64:ff9b:1:7f01:2:304:808:808', '127.1.2.3', 'nat64', 'loopback'],
    ['64:ff9b:1:808:8:808::', '0.0.0.0', 'nat64', 'unspecified'],
    ['64:ff9b:1::a9fe:a9fe', '169.254.169.254', 'nat64', 'metadata'],
    ['2002:7f00:1::', '127.0.0.1', '6to4', 'loopback'],
    ['2002:c0a8:101::1', '192.168.1.1', '6to4', 'private'],
    ['2002:a9fe:a9fe::', '169.254.169.254', '6to4', 'metadata'],
    ['2002:808:808::1', '8.8.8.8', '6to4', 'public'],
    // Teredo keeps the client address inverted: 0x80fffffe = ~127.0.0.1.
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', '127.0.0.1', 'teredo', 'loopback'],
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', '10.0.0.1', 'teredo', 'private'],
    ['2001::f7f7:f7f7', '8.8.8.8', 'teredo', 'public'],
  ];

  test.each(embedded)(
    'when given %s, then it is judged by the embedded %s (%s) as %s',
    (ip, ipv4, via, category) => {
      const result = classifyAddress(ip);
      expect(result.embedded).toEqual({ ipv4, via });
      expect(result.category).toBe(category);
    },
  );

  test('when a zone id or brackets are attached, then the address alone is judged', () => {
    expect(classifyAddress('fe80::1%eth0')).toMatchObject({ address: 'fe80::1', category: 'link-local' });
    expect(classifyAddress('[fe80::1%25eth0]')).toMatchObject({ address: 'fe80::1', category: 'link-local' });
    expect(classifyAddress('::1%lo')).toMatchObject({ category: 'loopback' });
    expect(classifyAddress('[::ffff:127.0.0.1]')).toMatchObject({ category: 'loopback' });
    expect(classifyAddress('fd00:ec2::254%1')).toMatchObject({ category: 'metadata' });
  });

  test.each([
    '',
    'localhost',
    '127.1',
    '2130706433',
    '0x7f.0.0.1',
    '0177.0.0.1',
    '1.2.3.4%eth0',
    '1.2.3',
    ':::1',
  ])('when given the non-canonical or non-address %p, then it is invalid', (input) => {
    expect(classifyAddress(input).category).toBe('invalid');
  });
});

describe('isForbiddenAddress', () => {
  test.each([
    '127.0.0.1',
    '::1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.0.10',
    '100.64.1.1',
    '169.254.3.4',
    'fe80::1%eth0',
    'fd00::1',
  ])('when %s is a private network address, then it is forbidden by default and allowed on request', (ip) => {
    const denied = isForbiddenAddress(ip, DENY_PRIVATE);
    expect(denied.forbidden).toBe(true);
    expect(denied.reason).toMatch(/private networks are not allowed/);
    expect(isForbiddenAddress(ip, ALLOW_PRIVATE)).toEqual({ forbidden: false, category: denied.category });
  });

  test.each([
    '169.254.169.254',
    'fd00:ec2::254',
    '::ffff:169.254.169.254',
    '0.0.0.0',
    '::',
    '224.0.0.251',
    'ff02::fb',
    '255.255.255.255',
    '240.1.2.3',
    '192.0.2.1',
    '2001:db8::1',
    '100::',
    'not-an-ip',
  ])(
    'when %s is never a valid destination, then it is forbidden even with private networks allowed',
    (ip) => {
      expect(isForbiddenAddress(ip, ALLOW_PRIVATE).forbidden).toBe(true);
      expect(isForbiddenAddress(ip, DENY_PRIVATE).forbidden).toBe(true);
    },
  );

  test.each(['93.184.215.14', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '2002:808:808::1'])(
    'when %s is public, then it is allowed',
    (ip) => {
      expect(isForbiddenAddress(ip, DENY_PRIVATE)).toEqual({ forbidden: false, category: 'public' });
    },
  );

  test('when an embedded address is refused, then the reason names the embedding and the range', () => {
    expect(isForbiddenAddress('::ffff:7f00:1', DENY_PRIVATE).reason).toBe(
      '::ffff:7f00:1 embeds 127.0.0.1 (IPv4-mapped), which is a loopback address (127.0.0.0/8); private networks are not allowed',
    );
    expect(isForbiddenAddress('169.254.169.254', ALLOW_PRIVATE).reason).toBe(
      '169.254.169.254 is a cloud metadata address (169.254.169.254/32)',
    );
  });
});
