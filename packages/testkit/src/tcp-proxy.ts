import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The loopback port to connect to instead of the target's. */
  port: number;
  /** `url` with its port replaced by the proxy's. */
  through(url: string): string;
  /** An outage: open connections are cut and new ones refused, until restore(). */
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy on loopback in front of a local service (Postgres, Redis), so a
 * test can take the service away from one client and give it back — a real
 * outage as that client sees it, while everyone else keeps the service.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const listen = (server: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  const newServer = (): Server =>
    createServer((client) => {
      const upstream = connect(target.port, target.host);
      track(client);
      track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  let server: Server | undefined = newServer();
  const port = await listen(server, 0);
  const stop = async (): Promise<void> => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  return {
    port,
    through(url) {
      const parsed = new URL(url);
      parsed.host = `127.0.0.1:${port}`;
      return parsed.toString();
    },
    cut: stop,
    async restore() {
      if (server) return;
      server = newServer();
      await listen(server, port);
    },
    close: stop,
  };
}
