// The process's metrics endpoint: GET /metrics (Prometheus text format, every thread merged),
// GET /healthz, GET /livez, and whatever extra routes the process adds (the coordinator's /status).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsHub } from './metrics-hub.js';

/** What an extra route answers; `status` defaults to 200, `contentType` to JSON. */
export interface RouteResponse {
  status?: number;
  contentType?: string;
  body: string;
}

/** An extra GET route: called per request; a throw answers 500 with its message. */
export type RouteHandler = () => RouteResponse | Promise<RouteResponse>;

/** A JSON answer for a route. */
export function jsonResponse(value: unknown, status = 200): RouteResponse {
  return { status, contentType: 'application/json', body: `${JSON.stringify(value, null, 2)}\n` };
}

export interface MetricsServerOptions {
  /** TCP port; 0 picks a free one (read it back from `port`). Default 9464. */
  port?: number;
  /** Interface to bind; default 127.0.0.1 (use 0.0.0.0 to be scraped from other hosts). */
  host?: string;
  /** The hub that merges thread metrics; default a new MetricsHub over this thread's registry. */
  hub?: MetricsHub;
  /** Extra GET routes by path, e.g. { '/status': … }; one named '/healthz' replaces the default. */
  routes?: Record<string, RouteHandler>;
}

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** Base URL, e.g. http://127.0.0.1:9464 */
  readonly url: string;
  readonly hub: MetricsHub;
  close(): Promise<void>;
}

const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';
const PLAIN = 'text/plain; charset=utf-8';

function answerRoute(handler: RouteHandler, head: boolean, res: http.ServerResponse): void {
  const fail = (err: unknown) => {
    res.writeHead(500, { 'content-type': PLAIN });
    res.end(`${err instanceof Error ? err.message : String(err)}\n`);
  };
  let result: RouteResponse | Promise<RouteResponse>;
  try {
    result = handler();
  } catch (err) {
    fail(err);
    return;
  }
  Promise.resolve(result).then((r) => {
    res.writeHead(r.status ?? 200, { 'content-type': r.contentType ?? 'application/json' });
    res.end(head ? undefined : r.body);
  }, fail);
}

/** Starts the metrics HTTP server; resolves once it listens. */
export async function serveMetrics(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const ownHub = options.hub === undefined;
  const hub = options.hub ?? new MetricsHub();
  const host = options.host ?? '127.0.0.1';
  const routes = new Map(Object.entries(options.routes ?? {}));
  routes.delete('/metrics');
  // /livez only says the event loop answers (a liveness probe); routes cannot replace it.
  routes.delete('/livez');
  const known = [
    '/metrics',
    '/healthz',
    '/livez',
    ...[...routes.keys()].filter((p) => p !== '/healthz'),
  ];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const route = routes.get(path);
    if (route) {
      answerRoute(route, req.method === 'HEAD', res);
      return;
    }
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': PLAIN }).end('ok\n');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': PLAIN }).end(`not found: try ${known.join(', ')}\n`);
      return;
    }
    hub.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': TEXT_FORMAT });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': PLAIN });
        res.end(`metrics collection failed: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9464, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    url: `http://${urlHost}:${port}`,
    hub,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (ownHub) hub.close();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
