import type { Resolver } from './resolve.js';
import { MAX_WEBHOOK_URL_LENGTH, validateWebhookUrl } from './webhook-url.js';

function dnsError(code: string): Error {
  return Object.assign(new Error(`getaddrinfo ${code}`), { code });
}

/** A resolver over a fixed table; unknown names fail like getaddrinfo does. No test touches real DNS. */
function resolverFor(table: Record<string, string[]>): Resolver {
  return (hostname) => {
    const addresses = table[hostname];
    return addresses === undefined ? Promise.reject(dnsError('ENOTFOUND')) : Promise.resolve(addresses);
  };
}

/** A resolver that always gives these addresses. */
const answer =
  (...addresses: string[]): Resolver =>
  () =>
    Promise.resolve(addresses);

const resolve = resolverFor({
  'example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'example.com.': ['93.184.215.14'],
  'xn--bcher-kva.example': ['93.184.215.14'],
  'discord.com': ['10.0.0.7'],
  localhost: ['127.0.0.1', '::1'],
});

const deny = { allowPrivateNetworks: false, resolve };
const allow = { allowPrivateNetworks: true, resolve };

const LONG_LABEL = 'a'.repeat(64);
const LONG_NAME = `${Array.from({ length: 4 }, () => 'b'.repeat(63)).join('.')}.com`;

describe('validateWebhookUrl', () => {
  // [url, what the error says] — refused when private networks are not allowed.
  const refused: [string, RegExp][] = [
    ['http://127.0.0.1/hook', /127\.0\.0\.1 is a loopback address/],
    ['http://127.1/', /127\.0\.0\.1 is a loopback/],
    ['http://2130706433/', /127\.0\.0\.1 is a loopback/],
    ['http://0x7f.1/', /127\.0\.0\.1 is a loopback/],
    ['http://0x7f000001/', /127\.0\.0\.1 is a loopback/],
    ['http://0177.0.0.1/', /127\.0\.0\.1 is a loopback/],
    ['http://017700000001/', /127\.0\.0\.1 is a loopback/],
    ['http://localhost:8080/', /localhost is a loopback name/],
    ['http://api.localhost/', /api\.localhost is a loopback name/],
    ['http://10.0.0.1/', /private address \(10\.0\.0\.0\/8\)/],
    ['http://172.16.5.4/', /private address \(172\.16\.0\.0\/12\)/],
    ['http://172.31.255.255/', /private address/],
    ['http://192.168.1.1/', /private address \(192\.168\.0\.0\/16\)/],
    ['http://100.64.0.1/', /carrier-grade NAT/],
    ['http://169.254.1.1/', /link-local/],
    ['http://169.254.169.254/latest/meta-data/', /cloud metadata/],
    ['http://[fd00:ec2::254]/latest/meta-data/', /cloud metadata/],
    ['http://[::1]:3000/', /::1 is a loopback address/],
    ['http://[0:0:0:0:0:0:0:1]/', /::1 is a loopback address/],
    ['http://[::ffff:127.0.0.1]/', /embeds 127\.0\.0\.1 \(IPv4-mapped\)/],
    ['http://[::ffff:7f00:1]/', /embeds 127\.0\.0\.1 \(IPv4-mapped\)/],
    [
      'http://[::ffff:169.254.169.254]/',
      /embeds 169\.254\.169\.254 \(IPv4-mapped\), which is a cloud metadata/,
    ],
    ['http://[::127.0.0.1]/', /IPv4-compatible/],
    ['http://[64:ff9b::7f00:1]/', /embeds 127\.0\.0\.1 \(NAT64\)/],
    ['http://[64:ff9b::10.0.0.1]/', /embeds 10\.0\.0\.1 \(NAT64\)/],
    ['http://[64:ff9b:1::a9fe:a9fe]/', /NAT64.*cloud metadata/],
    ['http://[2002:7f00:1::]/', /embeds 127\.0\.0\.1 \(6to4\)/],
    ['http://[2002:c0a8:101::1]/', /embeds 192\.168\.1\.1 \(6to4\)/],
    ['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', /embeds 127\.0\.0\.1 \(Teredo\)/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[fc00::1]/', /unique local/],
    ['http://[fd12:3456::1]/', /unique local/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://0/', /0\.0\.0\.0 is an unspecified/],
    ['http://[::]/', /unspecified/],
    ['http://224.0.0.1/', /multicast/],
    ['http://[ff02::1]/', /multicast/],
    ['http://255.255.255.255/', /broadcast/],
    ['http://240.0.0.1/', /reserved/],
    ['http://192.0.0.8/', /reserved/],
    ['http://192.0.2.1/', /documentation/],
    ['http://198.51.100.7/', /documentation/],
    ['http://203.0.113.9/', /documentation/],
    ['http://198.18.0.1/', /reserved/],
    ['http://[2001:db8::1]/', /documentation/],
    ['http://[100::1]/', /reserved/],
    ['https://user:pass@example.com/', /must not contain a user name or password/],
    ['https://user@example.com/', /must not contain a user name or password/],
    ['https://:secret@example.com/', /must not contain a user name or password/],
    ['ftp://example.com/file', /scheme must be http or https, not ftp/],
    ['file:///etc/passwd', /scheme must be http or https, not file/],
    ['javascript:alert(1)', /scheme must be http or https, not javascript/],
    ['data:text/plain,hello', /scheme must be http or https, not data/],
    ['ws://example.com/socket', /scheme must be http or https, not ws/],
    ['example.com/hook', /not a valid absolute URL/],
    ['http://', /not a valid absolute URL/],
    ['http://1.2.3.4.5/', /not a valid absolute URL/],
    ['http://[fe80::1%25eth0]/', /not a valid absolute URL/],
    [`https://example.com/${'a'.repeat(MAX_WEBHOOK_URL_LENGTH)}`, /longer than 2048 characters/],
    ['http://-bad.example.com/', /not a valid DNS name/],
    ['http://bad-.example.com/', /not a valid DNS name/],
    ['http://exa_mple.com/', /not a valid DNS name/],
    ['http://a..b.com/', /empty label/],
    [`http://${LONG_LABEL}.com/`, /longer than 63 characters/],
    [`http://${LONG_NAME}/`, /longer than 253 characters/],
    ['http://example.com:0/', /port must not be 0/],
  ];

  test.each(refused)(
    'when private networks are not allowed and the URL is %s, then it is refused',
    async (url, error) => {
      const result = await validateWebhookUrl(url, deny);
      expect(result).toEqual({ ok: false, error: expect.stringMatching(error) });
    },
  );

  // [input, normalised url] — accepted when private networks are not allowed, resolving nothing but the table.
  const accepted: [string, string][] = [
    ['http://93.184.215.14/', 'http://93.184.215.14/'],
    ['https://[2606:4700::1111]/hook', 'https://[2606:4700::1111]/hook'],
    ['https://[2606:4700:0:0:0:0:0:1111]:8443/', 'https://[2606:4700::1111]:8443/'],
    ['http://[::ffff:8.8.8.8]/', 'http://[::ffff:808:808]/'],
    ['https://example.com/webhooks?x=1', 'https://example.com/webhooks?x=1'],
    ['HTTPS://EXAMPLE.COM:443/Hook', 'https://example.com/Hook'],
    ['http://example.com./', 'http://example.com./'],
    ['https://bücher.example/', 'https://xn--bcher-kva.example/'],
    ['  https://example.com/padded  ', 'https://example.com/padded'],
  ];

  test.each(accepted)('when the URL %s is public, then it is accepted as %s', async (input, url) => {
    expect(await validateWebhookUrl(input, deny)).toEqual({ ok: true, url, warnings: [] });
  });

  test.each([
    'http://127.0.0.1:8080/hook',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://10.0.0.1/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://169.254.1.1/',
    'http://[fe80::1]/',
    'http://[fd12:3456::1]/',
    'http://localhost:3000/',
  ])('when private networks are allowed and the URL is %s, then it is accepted', async (url) => {
    expect(await validateWebhookUrl(url, allow)).toMatchObject({ ok: true, warnings: [] });
  });

  test.each([
    ['http://169.254.169.254/', /cloud metadata/],
    ['http://[fd00:ec2::254]/', /cloud metadata/],
    ['http://[::ffff:a9fe:a9fe]/', /cloud metadata/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://[::]/', /unspecified/],
    ['http://224.0.0.1/', /multicast/],
    ['http://[ff02::1]/', /multicast/],
    ['http://255.255.255.255/', /broadcast/],
    ['http://192.0.2.1/', /documentation/],
  ])('when private networks are allowed and the URL is %s, then it is still refused', async (url, error) => {
    expect(await validateWebhookUrl(url, allow)).toEqual({ ok: false, error: expect.stringMatching(error) });
  });

  describe('when the host is a name', () => {
    test('when it resolves to 127.0.0.1 and private networks are not allowed, then it is refused', async () => {
      const result = await validateWebhookUrl('https://internal.example/hook', {
        allowPrivateNetworks: false,
        resolve: answer('127.0.0.1'),
      });
      expect(result).toEqual({
        ok: false,
        error:
          'URL host internal.example resolves to a forbidden address: 127.0.0.1 is a loopback address (127.0.0.0/8); private networks are not allowed',
      });
    });

    test('when it resolves to one public and one private address, then it is refused naming the private one', async () => {
      const result = await validateWebhookUrl('https://mixed.example/', {
        allowPrivateNetworks: false,
        resolve: answer('93.184.215.14', '10.1.2.3'),
      });
      expect(result).toEqual({ ok: false, error: expect.stringContaining('10.1.2.3 is a private address') });
    });

    test('when it resolves to a private address and private networks are allowed, then it is accepted', async () => {
      const result = await validateWebhookUrl('http://printer.lan/', {
        allowPrivateNetworks: true,
        resolve: answer('192.168.1.20', 'fe80::1%eth0'),
      });
      expect(result).toEqual({ ok: true, url: 'http://printer.lan/', warnings: [] });
    });

    test('when it resolves to the metadata address and private networks are allowed, then it is refused', async () => {
      const result = await validateWebhookUrl('http://metadata.google.internal/', {
        allowPrivateNetworks: true,
        resolve: answer('169.254.169.254'),
      });
      expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/cloud metadata/) });
    });

    test('when the resolver answers something that is not an IP address, then it is refused', async () => {
      const result = await validateWebhookUrl('http://odd.example/', {
        allowPrivateNetworks: true,
        resolve: answer('0x7f.1'),
      });
      expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/is not an IP address/) });
    });

    test.each(['ENOTFOUND', 'EAI_AGAIN', 'ENODATA'])(
      'when it does not resolve (%s), then it is accepted with a warning',
      async (code) => {
        const result = await validateWebhookUrl('https://not-yet.example/hook', {
          allowPrivateNetworks: false,
          resolve: () => Promise.reject(dnsError(code)),
        });
        expect(result).toEqual({
          ok: true,
          url: 'https://not-yet.example/hook',
          warnings: [
            `host not-yet.example did not resolve (${code}); it will be checked when Herald connects`,
          ],
        });
      },
    );

    test('when the resolver is slower than timeoutMs, then it is accepted with a warning', async () => {
      const result = await validateWebhookUrl('https://slow.example/', {
        allowPrivateNetworks: false,
        resolve: () => new Promise<string[]>(() => undefined),
        timeoutMs: 20,
      });
      expect(result).toEqual({
        ok: true,
        url: 'https://slow.example/',
        warnings: [expect.stringContaining('did not resolve (HERALD_RESOLVE_TIMEOUT)')],
      });
    });

    test('when it resolves to no address, then it is accepted with a warning', async () => {
      const result = await validateWebhookUrl('https://empty.example/', {
        allowPrivateNetworks: false,
        resolve: answer(),
      });
      expect(result).toMatchObject({
        ok: true,
        warnings: [expect.stringContaining('resolved to no address')],
      });
    });

    test('when it is an IDN, then the resolver is asked for the punycode name', async () => {
      const calls: string[] = [];
      await validateWebhookUrl('https://bücher.example/', {
        allowPrivateNetworks: false,
        resolve: (host) => {
          calls.push(host);
          return Promise.resolve(['93.184.215.14']);
        },
      });
      expect(calls).toEqual(['xn--bcher-kva.example']);
    });

    test('when the host is an IP literal, then the resolver is not asked', async () => {
      const calls: string[] = [];
      const result = await validateWebhookUrl('http://93.184.215.14/', {
        allowPrivateNetworks: false,
        resolve: (host) => {
          calls.push(host);
          return Promise.resolve(['127.0.0.1']);
        },
      });
      expect(result.ok).toBe(true);
      expect(calls).toEqual([]);
    });

    test('when private networks are allowed and the default resolver is used, then localhost is accepted', async () => {
      // /etc/hosts answers this without any network.
      expect(await validateWebhookUrl('http://localhost:3000/', { allowPrivateNetworks: true })).toEqual({
        ok: true,
        url: 'http://localhost:3000/',
        warnings: [],
      });
    });
  });

  describe('error messages', () => {
    const SECRET = 'Xy9SuperSecretToken';

    test.each([
      [`https://discord.com/api/webhooks/123/${SECRET}?wait=true`, deny],
      [`https://api.telegram.org/bot123:${SECRET}/sendMessage`, { ...deny, resolve: answer('127.0.0.1') }],
      [`https://user:${SECRET}@example.com/hook`, deny],
      [`ftp://example.com/${SECRET}`, deny],
      [`https://example.com/${SECRET}/${'a'.repeat(MAX_WEBHOOK_URL_LENGTH)}`, deny],
      [`https://exa_mple.com/${SECRET}?token=${SECRET}`, deny],
    ])(
      'when %s is refused, then the message never contains the path, query or credentials',
      async (url, options) => {
        const result = await validateWebhookUrl(url, options);
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.error).not.toContain(SECRET.slice(0, 10));
          expect(result.error).not.toContain('wait=true');
          expect(result.error).not.toContain('sendMessage');
        }
      },
    );

    test('when a name is refused, then the message names the host', async () => {
      const result = await validateWebhookUrl('https://discord.com/api/webhooks/1/t', deny);
      expect(result).toEqual({
        ok: false,
        error: expect.stringContaining('URL host discord.com resolves to'),
      });
    });
  });
});
