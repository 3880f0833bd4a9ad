import { createServer } from 'node:http';

export interface Sink {
  /** `http://127.0.0.1:<port>`; the sink never listens beyond loopback. */
  readonly origin: string;
  /** Requests whose body has been read in full. */
  readonly received: number;
  close(): Promise<void>;
}

export interface SinkOptions {
  /**
   * Called once per request after its body has arrived, with `performance.now()`
   * at that moment and the request's `webhook-id` header (Herald's event id).
   */
  onReceive?: (body: Buffer, receivedAt: number, webhookId: string | undefined) => void;
}

/**
 * A webhook receiver that reads each body and answers 204. It runs in the
 * bench process, so its CPU competes with the worker's — the same for the raw
 * baseline and for Herald, which keeps their ratio fair.
 */
export async function startSink(options: SinkOptions = {}): Promise<Sink> {
  let received = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const receivedAt = performance.now();
      received += 1;
      const id = req.headers['webhook-id'];
      options.onReceive?.(Buffer.concat(chunks), receivedAt, typeof id === 'string' ? id : undefined);
      res.writeHead(204).end();
    });
  });
  // Longer than the client's idle timeout, so the client always closes an idle
  // socket first and no request races a server-side close.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('sink has no TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    get received() {
      return received;
    },
    async close() {
      // Keep-alive sockets would otherwise hold close() open until they idle out.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
