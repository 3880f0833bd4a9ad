// Real connections, loopback only: every test either dials 127.0.0.1 / ::1 or
// is refused before dialling. Names resolve through injected resolvers, so no
// test needs DNS or the internet, and no public address is ever dialled.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { request, type Agent } from 'undici';
import { BlockedAddressError, createGuardedAgent, type BlockedConnection } from './guarded-agent.js';
import type { Resolver } from './resolve.js';
import { validateWebhookUrl } from './webhook-url.js';

// Self-signed, test-only certificate for DNS:webhook.test (see fixtures/README.md).
const TEST_CERT = readFileSync(new URL('../fixtures/webhook-test.cert.pem', import.meta.url));
const TEST_KEY = readFileSync(new URL('../fixtures/webhook-test.key.pem', import.meta.url));

interface Receiver {
  port: number;
  /** TCP connections accepted, whether or not a request followed. */
  connections: number;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

async function startReceiver(host: string, tls = false): Promise<Receiver> {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    receiver.requests.push(req);
    res.end('delivered');
  };
  const server: Server = tls
    ? createHttpsServer({ cert: TEST_CERT, key: TEST_KEY }, handler)
    : createServer(handler);
  const receiver: Receiver = {
    port: 0,
    connections: 0,
    requests: [],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  // Raw TCP connections, before any TLS handshake.
  server.on('connection', () => {
    receiver.connections += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  receiver.port = (server.address() as AddressInfo).port;
  return receiver;
}

async function canListenOnIpv6Loopback(): Promise<boolean> {
  try {
    const probe = await startReceiver('::1');
    await probe.close();
    return true;
  } catch {
    return false;
  }
}

function countingResolver(answers: string[][]): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (hostname: string): Promise<string[]> => {
    calls.push(hostname);
    return Promise.resolve(answers[Math.min(calls.length, answers.length) - 1] ?? []);
  };
  return Object.assign(resolve, { calls });
}

/** A resolver that always gives these addresses. */
const answer =
  (...addresses: string[]): Resolver =>
  () =>
    Promise.resolve(addresses);

async function get(url: string, agent: Agent): Promise<{ status: number; body: string }> {
  const response = await request(url, { dispatcher: agent });
  return { status: response.statusCode, body: await response.body.text() };
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to fail');
}

const hasIpv6 = await canListenOnIpv6Loopback();

describe('createGuardedAgent', () => {
  let receiver: Receiver;
  let agent: Agent | undefined;

  beforeEach(async () => {
    receiver = await startReceiver('127.0.0.1');
  });
  afterEach(async () => {
    await agent?.destroy();
    agent = undefined;
    await receiver.close();
  });

  test('when private networks are not allowed and the URL is http://127.0.0.1, then the request fails as blocked and the server sees no connection', async () => {
    const blocked: BlockedConnection[] = [];
    agent = createGuardedAgent({ allowPrivateNetworks: false, onBlocked: (info) => blocked.push(info) });

    const error = await errorOf(get(`http://127.0.0.1:${receiver.port}/hook`, agent));

    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error).toMatchObject({ code: 'HERALD_BLOCKED_ADDRESS', host: '127.0.0.1', address: '127.0.0.1' });
    expect(blocked).toEqual([
      {
        host: '127.0.0.1',
        address: '127.0.0.1',
        reason: '127.0.0.1 is a loopback address (127.0.0.0/8); private networks are not allowed',
      },
    ]);
    expect(receiver.connections).toBe(0);
  });

  test('when private networks are allowed, then the request to 127.0.0.1 is delivered', async () => {
    agent = createGuardedAgent({ allowPrivateNetworks: true });

    expect(await get(`http://127.0.0.1:${receiver.port}/hook`, agent)).toEqual({
      status: 200,
      body: 'delivered',
    });
    expect(receiver.requests).toHaveLength(1);
  });

  test('when the URL host is the IPv4-mapped form of 127.0.0.1, then the request is blocked and the server sees no connection', async () => {
    agent = createGuardedAgent({ allowPrivateNetworks: false });

    const error = await errorOf(get(`http://[::ffff:127.0.0.1]:${receiver.port}/`, agent));

    expect(error).toBeInstanceOf(BlockedAddressError);
    expect((error as BlockedAddressError).reason).toMatch(/embeds 127\.0\.0\.1 \(IPv4-mapped\)/);
    expect(receiver.connections).toBe(0);
  });

  test('when a name resolves to 127.0.0.1 and private networks are not allowed, then the request is blocked at connect time', async () => {
    const resolve = countingResolver([['127.0.0.1']]);
    agent = createGuardedAgent({ allowPrivateNetworks: false, resolve });

    const error = await errorOf(get(`http://hooks.example.test:${receiver.port}/`, agent));

    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error).toMatchObject({ host: 'hooks.example.test', address: '127.0.0.1' });
    expect(resolve.calls).toEqual(['hooks.example.test']);
    expect(receiver.connections).toBe(0);
  });

  test('when a name passes the save-time check and then rebinds to 127.0.0.1, then the connection is blocked', async () => {
    // First answer (save time) is public; every later answer is loopback.
    const resolve = countingResolver([['93.184.215.14'], ['127.0.0.1']]);
    const url = `http://rebind.example.test:${receiver.port}/hook`;

    expect(await validateWebhookUrl(url, { allowPrivateNetworks: false, resolve })).toMatchObject({
      ok: true,
    });
    agent = createGuardedAgent({ allowPrivateNetworks: false, resolve });
    const error = await errorOf(get(url, agent));

    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(resolve.calls).toHaveLength(2);
    expect(receiver.connections).toBe(0);
  });

  test('when a name resolves through the injected resolver, then exactly that checked address is dialled and nothing resolves it again', async () => {
    // `.invalid` never resolves through real DNS (RFC 6761): success proves the
    // dial used the address the guard checked, not a second lookup.
    const resolve = countingResolver([['127.0.0.1']]);
    agent = createGuardedAgent({ allowPrivateNetworks: true, resolve });

    const response = await get(`http://receiver.invalid:${receiver.port}/hook`, agent);

    expect(response.status).toBe(200);
    expect(resolve.calls).toEqual(['receiver.invalid']);
    expect(receiver.requests[0]?.headers.host).toBe(`receiver.invalid:${receiver.port}`);
    expect(receiver.requests[0]?.socket.localAddress).toBe('127.0.0.1');
  });

  test('when any resolved address is forbidden, then nothing is dialled, not even the allowed one', async () => {
    const resolve = countingResolver([['127.0.0.1', '169.254.169.254']]);
    agent = createGuardedAgent({ allowPrivateNetworks: true, resolve });

    const error = await errorOf(get(`http://cloud.example.test:${receiver.port}/`, agent));

    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error).toMatchObject({ address: '169.254.169.254' });
    expect((error as BlockedAddressError).message).toMatch(/cloud metadata/);
    expect(receiver.connections).toBe(0);
  });

  test.each([[' 127.0.0.1'], ['[::1]'], ['localhost']])(
    'when the resolver answers %p, which would need another lookup to dial, then the connection is blocked',
    async (address) => {
      agent = createGuardedAgent({ allowPrivateNetworks: true, resolve: answer(address) });

      const error = await errorOf(get(`http://odd.example.test:${receiver.port}/`, agent));

      expect(error).toBeInstanceOf(BlockedAddressError);
      expect((error as BlockedAddressError).reason).toMatch(/is not an IP address/);
      expect(receiver.connections).toBe(0);
    },
  );

  test('when the first checked address refuses the connection, then the next checked address is tried', async () => {
    // The receiver listens on 127.0.0.1 only, so ::1 refuses (or is unreachable without IPv6).
    const resolve = countingResolver([['::1', '127.0.0.1']]);
    agent = createGuardedAgent({ allowPrivateNetworks: true, resolve });

    expect((await get(`http://dual.example.test:${receiver.port}/`, agent)).status).toBe(200);
  });

  test('when the name does not resolve at connect time, then the request fails with the resolver error, not as blocked', async () => {
    agent = createGuardedAgent({
      allowPrivateNetworks: false,
      resolve: () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })),
    });

    const error = await errorOf(get(`http://gone.example.test:${receiver.port}/`, agent));

    expect(error).not.toBeInstanceOf(BlockedAddressError);
    expect(error).toMatchObject({ code: 'ENOTFOUND' });
  });

  test('when the resolver is slower than connectTimeoutMs, then the request fails with a connect timeout', async () => {
    agent = createGuardedAgent({
      allowPrivateNetworks: true,
      connectTimeoutMs: 50,
      resolve: () => new Promise<string[]>(() => undefined),
    });

    const error = await errorOf(get(`http://slow.example.test:${receiver.port}/`, agent));

    expect(error).toMatchObject({ code: 'UND_ERR_CONNECT_TIMEOUT' });
    expect(receiver.connections).toBe(0);
  });

  test('when agentOptions smuggle in a connect function, then it is ignored and the guard still applies', async () => {
    agent = createGuardedAgent({
      allowPrivateNetworks: false,
      agentOptions: { connect: { timeout: 1 }, keepAliveTimeout: 1_000 } as any,
    });

    const error = await errorOf(get(`http://127.0.0.1:${receiver.port}/`, agent));

    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(receiver.connections).toBe(0);
  });
});

describe('createGuardedAgent over TLS', () => {
  let receiver: Receiver;
  let agent: Agent | undefined;

  beforeEach(async () => {
    receiver = await startReceiver('127.0.0.1', true);
  });
  afterEach(async () => {
    await agent?.destroy();
    agent = undefined;
    await receiver.close();
  });

  test('when the name resolves to the receiver, then SNI and the certificate check use the name while the checked IP is dialled', async () => {
    agent = createGuardedAgent({
      allowPrivateNetworks: true,
      resolve: answer('127.0.0.1'),
      tls: { ca: TEST_CERT },
    });

    expect(await get(`https://webhook.test:${receiver.port}/hook`, agent)).toEqual({
      status: 200,
      body: 'delivered',
    });
    expect((receiver.requests[0]?.socket as TLSSocket | undefined)?.servername).toBe('webhook.test');
  });

  test('when the certificate does not match the name, then the connection fails even though the IP was allowed', async () => {
    agent = createGuardedAgent({
      allowPrivateNetworks: true,
      resolve: answer('127.0.0.1'),
      tls: { ca: TEST_CERT },
    });

    const error = await errorOf(get(`https://other.test:${receiver.port}/hook`, agent));

    expect(error).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(receiver.requests).toHaveLength(0);
  });

  test('when private networks are not allowed, then no TLS handshake starts', async () => {
    agent = createGuardedAgent({
      allowPrivateNetworks: false,
      resolve: answer('127.0.0.1'),
      tls: { ca: TEST_CERT },
    });

    expect(await errorOf(get(`https://webhook.test:${receiver.port}/`, agent))).toBeInstanceOf(
      BlockedAddressError,
    );
    expect(receiver.connections).toBe(0);
  });
});

(hasIpv6 ? describe : describe.skip)('createGuardedAgent over IPv6 loopback', () => {
  let receiver: Receiver;
  let agent: Agent | undefined;

  beforeEach(async () => {
    receiver = await startReceiver('::1');
  });
  afterEach(async () => {
    await agent?.destroy();
    agent = undefined;
    await receiver.close();
  });

  test('when private networks are not allowed and the URL is http://[::1], then the request is blocked and the server sees no connection', async () => {
    agent = createGuardedAgent({ allowPrivateNetworks: false });

    const error = await errorOf(get(`http://[::1]:${receiver.port}/`, agent));

    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error).toMatchObject({ address: '::1' });
    expect(receiver.connections).toBe(0);
  });

  test('when private networks are allowed, then the request to [::1] is delivered', async () => {
    agent = createGuardedAgent({ allowPrivateNetworks: true });

    expect((await get(`http://[::1]:${receiver.port}/`, agent)).status).toBe(200);
  });

  test('when a name resolves to ::1 and private networks are not allowed, then the request is blocked', async () => {
    agent = createGuardedAgent({ allowPrivateNetworks: false, resolve: answer('::1') });

    expect(await errorOf(get(`http://v6.example.test:${receiver.port}/`, agent))).toBeInstanceOf(
      BlockedAddressError,
    );
    expect(receiver.connections).toBe(0);
  });
});
