import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Herald } from './index.js';

// An API that takes the request and never answers: the client's own bound is
// all that ends the wait.
describe('HTTP mode timeout', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let apiUrl: string;

  beforeAll(async () => {
    server = createServer(() => {
      // never answers
    });
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('a request the API never answers fails with a TimeoutError at the timeout, not later', async () => {
    const client = new Herald({ apiUrl, apiKey: 'hk_test_never_answers', timeoutMs: 300 });
    try {
      const started = Date.now();
      const outcome = await client.publish({ type: 'user.login', data: {} }).then(
        () => new Error('publish resolved'),
        (error: unknown) => error,
      );
      const elapsed = Date.now() - started;
      expect(outcome).toMatchObject({ name: 'TimeoutError' });
      expect(String((outcome as Error).message)).not.toContain('hk_test_never_answers');
      expect(elapsed).toBeGreaterThanOrEqual(280);
      expect(elapsed).toBeLessThan(3_000);
    } finally {
      await client.close();
    }
  });
});
