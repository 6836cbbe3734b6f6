// The metrics endpoint's extra routes: served next to /metrics, /healthz replaceable, /metrics and /livez not,
// a throwing or rejecting route answers 500, unknown paths list what exists.
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../runtime/metrics.js';
import { MetricsHub } from '../../runtime/metrics-hub.js';
import {
  jsonResponse,
  serveMetrics,
  type MetricsServer,
  type MetricsServerOptions,
} from '../../runtime/metrics-server.js';

let server: MetricsServer | undefined;
let hub: MetricsHub | undefined;
afterEach(async () => {
  await server?.close();
  hub?.close();
  server = undefined;
  hub = undefined;
});

async function start(routes: MetricsServerOptions['routes']) {
  const registry = new MetricsRegistry({ job: 'routes', role: 'coordinator', index: 0 });
  registry.counter('weft_route_test_total', 'A counter.').inc(3);
  hub = new MetricsHub({ registry, timeoutMs: 50 });
  server = await serveMetrics({ port: 0, hub, routes });
  return server.url;
}

describe('serveMetrics routes', () => {
  it('serves extra routes beside /metrics, called per request', async () => {
    let calls = 0;
    const url = await start({
      '/status': () => jsonResponse({ calls: ++calls }),
      '/slow': async () => {
        await new Promise((r) => setTimeout(r, 5));
        return { status: 202, contentType: 'text/plain', body: 'later\n' };
      },
    });
    for (let i = 1; i <= 3; i++) {
      const res = await fetch(`${url}/status`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({ calls: i });
    }
    const slow = await fetch(`${url}/slow`);
    expect(slow.status).toBe(202);
    expect(await slow.text()).toBe('later\n');
    const head = await fetch(`${url}/status`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(calls).toBe(4);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('weft_route_test_total');
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('ok\n');
  });

  it('lets a route replace /healthz but never /metrics or /livez', async () => {
    const url = await start({
      '/healthz': () => ({ status: 503, contentType: 'text/plain', body: 'job failed\n' }),
      '/metrics': () => ({ body: 'not the metrics' }),
      '/livez': () => ({ status: 503, body: 'not alive' }),
    });
    const h = await fetch(`${url}/healthz`);
    expect(h.status).toBe(503);
    expect(await h.text()).toBe('job failed\n');
    // A failed job's process still answers its liveness probe: Kubernetes must not restart it.
    const l = await fetch(`${url}/livez`);
    expect(l.status).toBe(200);
    expect(await l.text()).toBe('ok\n');
    const m = await (await fetch(`${url}/metrics`)).text();
    expect(m).toContain('weft_route_test_total{weft_job="routes",role="coordinator",index="0"} 3');
  });

  it('answers 500 for a failing route and 404 with the known paths', async () => {
    const url = await start({
      '/throws': () => {
        throw new Error('board exploded');
      },
      '/rejects': () => Promise.reject(new Error('no answer')),
      '/status': () => jsonResponse({}),
    });
    const t = await fetch(`${url}/throws`);
    expect(t.status).toBe(500);
    expect(await t.text()).toContain('board exploded');
    const r = await fetch(`${url}/rejects`);
    expect(r.status).toBe(500);
    expect(await r.text()).toContain('no answer');
    const nf = await fetch(`${url}/nope`);
    expect(nf.status).toBe(404);
    expect(await nf.text()).toBe(
      'not found: try /metrics, /healthz, /livez, /throws, /rejects, /status\n',
    );
    expect((await fetch(`${url}/status`, { method: 'POST' })).status).toBe(405);
  });
});
