import { createServer, type Server, type Socket } from 'node:net';
import { TEST_POSTGRES_URL, TEST_REDIS_URL, unusedPort } from '@herald/testkit';
import { detectLocalServices, type LocalServiceAddress } from './index.js';

function addressOf(url: string): LocalServiceAddress {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/** A loopback TCP server that handles each connection with `onSocket`. */
async function startServer(
  onSocket: (socket: Socket) => void,
): Promise<{ address: LocalServiceAddress; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { address: { host: '127.0.0.1', port: address.port }, server, sockets };
}

describe('detectLocalServices', () => {
  const servers: { server: Server; sockets: Set<Socket> }[] = [];
  afterEach(async () => {
    for (const { server, sockets } of servers.splice(0)) {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  async function serve(onSocket: (socket: Socket) => void): Promise<LocalServiceAddress> {
    const { address, server, sockets } = await startServer(onSocket);
    servers.push({ server, sockets });
    return address;
  }

  test('the real Postgres and Redis of the test machine are recognised', async () => {
    const found = await detectLocalServices({
      postgres: addressOf(TEST_POSTGRES_URL),
      redis: addressOf(TEST_REDIS_URL),
    });
    expect(found).toEqual({ postgres: true, redis: true });
  });

  test('when nothing listens at either address, neither is found', async () => {
    const found = await detectLocalServices({
      postgres: { host: '127.0.0.1', port: await unusedPort() },
      redis: { host: '127.0.0.1', port: await unusedPort() },
    });
    expect(found).toEqual({ postgres: false, redis: false });
  });

  test('each probe checks the protocol: Redis at the Postgres address and Postgres at the Redis address are not taken for them', async () => {
    const found = await detectLocalServices({
      postgres: addressOf(TEST_REDIS_URL),
      redis: addressOf(TEST_POSTGRES_URL),
    });
    expect(found).toEqual({ postgres: false, redis: false });
  });

  test('a server that accepts but never answers counts as absent once the timeout passes', async () => {
    const silent = await serve(() => undefined);
    const found = await detectLocalServices({ timeoutMs: 200, postgres: silent, redis: silent });
    expect(found).toEqual({ postgres: false, redis: false });
  });

  test('a server that answers something else (HTTP) counts as absent', async () => {
    const http = await serve((socket) => {
      socket.on('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'));
    });
    expect(await detectLocalServices({ postgres: http, redis: http })).toEqual({
      postgres: false,
      redis: false,
    });
  });

  test('a Redis that demands a password (-NOAUTH) still counts as Redis', async () => {
    const locked = await serve((socket) => {
      socket.on('data', () => socket.write('-NOAUTH Authentication required.\r\n'));
    });
    const found = await detectLocalServices({
      postgres: { host: '127.0.0.1', port: await unusedPort() },
      redis: locked,
    });
    expect(found).toEqual({ postgres: false, redis: true });
  });

  test('bad options are refused with a clear error', async () => {
    await expect(detectLocalServices({ timeoutMs: 0 })).rejects.toThrow(
      'timeoutMs must be an integer from 1 to 60000, got 0',
    );
    await expect(detectLocalServices({ postgres: { host: '127.0.0.1', port: 70_000 } })).rejects.toThrow(
      'postgres port must be an integer from 1 to 65535, got 70000',
    );
    await expect(detectLocalServices({ redis: { host: ' ', port: 6379 } })).rejects.toThrow(
      'redis host must not be empty',
    );
  });
});
