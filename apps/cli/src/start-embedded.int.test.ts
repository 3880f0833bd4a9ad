import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import {
  runProcess,
  startProcess,
  startReceiver,
  unusedPort,
  waitUntil,
  type Receiver,
  type RunningProcess,
} from '@herald/testkit';

/** A panel session over plain fetch: one cookie jar, CSRF token from the last page. */
class PanelSession {
  private cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  async get(pathname: string): Promise<{ status: number; text: string }> {
    const res = await fetch(this.base + pathname, { headers: this.headers(), redirect: 'manual' });
    this.keep(res);
    return { status: res.status, text: await res.text() };
  }

  /** Posts a form with the CSRF token of `formPage`; answers the redirect's Location. */
  async post(pathname: string, formPage: string, fields: Record<string, string>): Promise<string> {
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await this.page(formPage))?.[1];
    if (!csrf) throw new Error(`no CSRF token on ${formPage}`);
    const res = await fetch(this.base + pathname, {
      method: 'POST',
      headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      redirect: 'manual',
    });
    this.keep(res);
    if (res.status !== 302 && res.status !== 303) {
      throw new Error(`POST ${pathname}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    }
    return res.headers.get('location') ?? '';
  }

  async page(pathname: string): Promise<string> {
    const { status, text } = await this.get(pathname);
    if (status !== 200) throw new Error(`GET ${pathname}: ${status}`);
    return text;
  }

  private headers(): Record<string, string> {
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  }
}

async function api<T>(base: string, key: string, method: string, pathname: string, body?: unknown) {
  const res = await fetch(`${base}/api/v1${pathname}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface EventBody {
  status: string;
  deliveries: { webhookId: string; status: string; attempts: { statusCode: number | null }[] }[];
}

// `pnpm start` on a machine with nothing but Node: HERALD_EMBEDDED=always
// stands in for "no Postgres or Redis answering" (the test machine has both).
describe('pnpm start, embedded mode', () => {
  const secretKey = randomBytes(32).toString('base64');
  const stateDir = mkdtempSync(path.join(tmpdir(), 'herald-embedded-start-'));
  const dataDir = path.join(stateDir, 'data');
  const running: RunningProcess[] = [];
  let receiver: Receiver | undefined;

  const start = (port: number, extra: Record<string, string> = {}): RunningProcess => {
    const p = startProcess('apps/cli/src/start.ts', {
      env: {
        HERALD_EMBEDDED: 'always',
        HERALD_DATA_DIR: dataDir,
        PORT: String(port),
        HERALD_WORKER_PORT: '0',
        HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
        HERALD_SECRET_KEY: secretKey,
        ...extra,
      },
    });
    running.push(p);
    return p;
  };

  afterAll(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
    await receiver?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('when started with nothing configured, it serves the panel, delivers a signed event, refuses a second process on the same data, and keeps everything across a restart', async () => {
    receiver = await startReceiver((_req, res) => void res.writeHead(204).end());
    const port = await unusedPort();
    const base = `http://127.0.0.1:${port}`;
    const first = start(port);
    await first.waitFor(/EMBEDDED mode/, 120_000);
    const { stdout, stderr } = first.output();
    expect(stderr).toContain(dataDir);
    expect(stderr).toContain(`http://localhost:${port}/`);
    expect(stdout).not.toMatch(/redis connection error/);

    // No HERALD_ADMIN_EMAIL: a generated first login, in a 0600 file, never in the output.
    const adminFile = path.join(stateDir, 'initial-admin.txt');
    expect(stderr).toContain(adminFile);
    expect(statSync(adminFile).mode & 0o777).toBe(0o600);
    const [, email, password] = /email: (\S+)\npassword: (\S+)/.exec(readFileSync(adminFile, 'utf8'))!;
    expect(stdout + stderr).not.toContain(password!);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({
      status: 'ok',
      checks: { postgres: 'ok' },
    });

    // A second process on the same data directory is refused while the first runs.
    const second = await runProcess('apps/cli/src/start.ts', {
      env: { HERALD_EMBEDDED: 'always', HERALD_DATA_DIR: dataDir, PORT: String(await unusedPort()) },
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another Herald process (pid ${first.pid}) is using ${dataDir}`);

    // Panel: sign in, make an app and an API key.
    const panel = new PanelSession(base);
    expect(await panel.post('/login', '/login', { email: email!, password: password! })).not.toContain(
      'login',
    );
    const appPath = await panel.post('/apps', '/apps', { name: 'Embedded' });
    const appId = /\/apps\/(app_[0-9A-Z]+)/.exec(appPath)?.[1];
    expect(appId).toBeDefined();
    await panel.post(`/apps/${appId}/api-keys`, `/apps/${appId}/api-keys`, { name: 'test', scope: 'full' });
    const key = /(hk_[A-Za-z0-9_-]{20,})/.exec(await panel.page(`/apps/${appId}/api-keys`))?.[1];
    expect(key).toBeDefined();

    // HTTP API: a webhook to the loopback receiver, an event, a signed delivery.
    const webhook = await api<{ id: string; secret: string }>(base, key!, 'POST', '/webhooks', {
      url: receiver.url,
    });
    expect(webhook.status).toBe(201);
    const event = await api<{ id: string }>(base, key!, 'POST', '/events', {
      type: 'user.created',
      data: { user: 'u1' },
    });
    expect(event.status).toBe(202);
    const [request] = await receiver.waitForRequests(1, 30_000);
    expect(request!.headers['webhook-id']).toBe(event.body.id);
    expect(new StandardWebhook(webhook.body.secret).verify(request!.body, request!.headers)).toEqual(
      expect.objectContaining({ type: 'user.created', data: { user: 'u1' } }),
    );
    await waitUntil(
      async () => {
        const e = await api<EventBody>(base, key!, 'GET', `/events/${event.body.id}`);
        return e.body.deliveries[0]?.status === 'succeeded';
      },
      { what: 'the delivery recorded as succeeded' },
    );

    // SIGTERM: a clean stop that frees the lock.
    const stopped = await first.stop('SIGTERM', 30_000);
    expect(stopped.code).toBe(0);

    // Restart on the same data: configured admin credentials work too, and the
    // webhook and the delivery history are still there.
    const port2 = await unusedPort();
    const base2 = `http://127.0.0.1:${port2}`;
    const again = start(port2, {
      HERALD_ADMIN_EMAIL: 'ops@example.com',
      HERALD_ADMIN_PASSWORD: 'correct horse battery',
    });
    await again.waitFor(/EMBEDDED mode/, 120_000);
    const hook = await api<{ id: string; url: string }>(base2, key!, 'GET', `/webhooks/${webhook.body.id}`);
    expect(hook).toEqual({ status: 200, body: expect.objectContaining({ url: new URL(receiver.url).href }) });
    const history = await api<EventBody>(base2, key!, 'GET', `/events/${event.body.id}`);
    expect(history.body.deliveries).toEqual([
      expect.objectContaining({
        webhookId: webhook.body.id,
        status: 'succeeded',
        attempts: [expect.objectContaining({ statusCode: 204 })],
      }),
    ]);
    const panel2 = new PanelSession(base2);
    await panel2.post('/login', '/login', { email: 'ops@example.com', password: 'correct horse battery' });
    expect(await panel2.page(`/apps/${appId}/webhooks`)).toContain(new URL(receiver.url).host);
    expect((await again.stop('SIGTERM', 30_000)).code).toBe(0);
  }, 300_000);

  test('when a signal comes while the data directory is being created, start-up stops cleanly and the next start opens it', async () => {
    const dir = path.join(stateDir, 'early-signal');
    const env = {
      HERALD_EMBEDDED: 'always',
      HERALD_DATA_DIR: dir,
      HERALD_WORKER_PORT: '0',
      HERALD_SECRET_KEY: secretKey,
    };
    const first = startProcess('apps/cli/src/start.ts', {
      env: { ...env, PORT: String(await unusedPort()) },
    });
    running.push(first);
    await first.waitFor(/embedded mode: opening the data directory/);
    process.kill(first.pid, 'SIGTERM');
    const stopped = await first.exited;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('signal during start-up');
    expect(existsSync(path.join(dir, 'herald.lock'))).toBe(false);
    const second = startProcess('apps/cli/src/start.ts', {
      env: { ...env, PORT: String(await unusedPort()) },
    });
    running.push(second);
    await second.waitFor(/admin listening/, 120_000);
    expect((await second.stop('SIGTERM')).code).toBe(0);
  }, 240_000);

  test('when the admin port is taken, start-up fails with exit 1 and frees the data directory', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '0.0.0.0', resolve));
    const port = (busy.address() as { port: number }).port;
    const otherDir = path.join(stateDir, 'busy-port');
    try {
      const r = await runProcess('apps/cli/src/start.ts', {
        env: {
          HERALD_EMBEDDED: 'always',
          HERALD_DATA_DIR: otherDir,
          PORT: String(port),
          HERALD_SECRET_KEY: secretKey,
        },
        timeoutMs: 120_000,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('EADDRINUSE');
      expect(existsSync(path.join(otherDir, 'herald.lock'))).toBe(false);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  }, 180_000);
});
