// Pushes a metrics text exposition to a Prometheus Pushgateway, for jobs that may end between two
// scrapes: the group /metrics/job/<job>[/<label>/<value>...] is replaced on every push.
import { WeftError } from './errors.js';

export class PushgatewayError extends WeftError {
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super('pushgateway', `${url}: ${message}`, options);
    this.url = url;
  }
}

/** The grouping key path of a job: /metrics/job/<job>/<label>/<value>..., each part URL-encoded. */
export function pushgatewayPath(job: string, grouping: Record<string, string> = {}): string {
  let path = `/metrics/job/${encodeURIComponent(job)}`;
  for (const [k, v] of Object.entries(grouping))
    path += `/${encodeURIComponent(k)}/${encodeURIComponent(v)}`;
  return path;
}

/**
 * Replaces the job's group on the gateway with `text` (Prometheus text format). Labels inside the
 * text (job/role/index) stay as they are; the gateway adds the grouping labels where missing.
 */
export async function pushMetrics(
  gatewayUrl: string,
  job: string,
  text: string,
  options: { grouping?: Record<string, string>; timeoutMs?: number } = {},
): Promise<void> {
  const url = gatewayUrl.replace(/\/+$/, '') + pushgatewayPath(job, options.grouping);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'PUT',
      body: text,
      headers: { 'Content-Type': 'text/plain; version=0.0.4' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new PushgatewayError(url, `push failed: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok)
    throw new PushgatewayError(
      url,
      `push answered ${res.status}: ${(await res.text()).slice(0, 300)}`,
    );
}
