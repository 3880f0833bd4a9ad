import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { metricsHandler } from './metrics.js';
import { checkReadiness, type Check } from './readiness.js';

export interface HealthServerOptions {
  checks: Record<string, Check>;
  isDraining: () => boolean;
  /** Serves `/metrics` from this registry; with a token, behind `Authorization: Bearer`. */
  metrics?: { registry: Registry; token?: string | undefined };
}

/**
 * A bare HTTP server for processes without Express (workers): `/livez`
 * answers while the event loop runs, `/readyz` while dependencies answer and
 * the process is not draining.
 */
export function createHealthServer(options: HealthServerOptions): Server {
  const serveMetrics = options.metrics
    ? metricsHandler(options.metrics.registry, options.metrics.token)
    : undefined;
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/livez') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/readyz') {
      void checkReadiness(options.checks, { isDraining: options.isDraining }).then((report) => {
        res
          .writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: report.ready ? 'ok' : 'unavailable', checks: report.checks }));
      });
      return;
    }
    if (path === '/metrics' && serveMetrics) {
      void serveMetrics(req, res);
      return;
    }
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end('{"error":{"code":"not_found","message":"not found"}}');
  });
}

export async function listen(server: Server, port: number, host?: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
