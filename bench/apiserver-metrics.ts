/**
 * Reads kube-apiserver's own request counters (`apiserver_request_total` on its `/metrics`), so
 * that the requests a run caused are counted by the server, not by the client that sent them.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

/** Where and how to reach the API server's `/metrics` (admin client certificate). */
export interface ApiServerAccess {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** The API server answered something other than its metrics. */
export class ApiServerMetricsError extends Error {
  override name = 'ApiServerMetricsError';
}

/** Fetches the text of `/metrics`. */
export async function fetchApiServerMetrics(access: ApiServerAccess, timeoutMs = 30_000): Promise<string> {
  const url = new URL('/metrics', access.server);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(access.caFile),
        cert: readFileSync(access.certFile),
        key: readFileSync(access.keyFile),
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200)
            reject(
              new ApiServerMetricsError(`GET ${url.href}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`),
            );
          else resolve(body);
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new ApiServerMetricsError(`GET ${url.href}: no answer in ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}

/** Parses the labels of one exposition-format sample (`{a="x",b="y"}`). */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const match of text.matchAll(pattern))
    labels[match[1] as string] = (match[2] as string).replace(/\\(.)/g, '$1');
  return labels;
}

/** `resource.group/subresource` as kubectl names it (`canaries.fledge.dev/status`, `services`). */
export function resourceName(labels: Record<string, string>): string {
  const resource = labels['resource'] ?? '';
  const group = labels['group'] ?? '';
  const sub = labels['subresource'] ?? '';
  return `${resource}${group ? `.${group}` : ''}${sub ? `/${sub}` : ''}`;
}

/** Marks the keys of requests over all namespaces (`LIST services (all namespaces)`). */
export const CLUSTER_WIDE_SUFFIX = ' (all namespaces)';

/**
 * Sums `apiserver_request_total` by `${verb} ${resource}` (over codes, versions and components).
 * Requests over a whole collection in all namespaces get {@link CLUSTER_WIDE_SUFFIX}: a controller
 * limited to one namespace never makes them, other controllers' informers and kube-apiserver's own
 * repair loops do. Requests to non-resource paths (`/metrics`, `/healthz`) are left out.
 */
export function parseRequestTotals(metricsText: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const close = line.lastIndexOf('}');
    const labels = parseLabels(line.slice('apiserver_request_total{'.length, close));
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(' ')[0],
    );
    if (!labels['resource'] || !Number.isFinite(value)) continue;
    const key = `${labels['verb'] ?? '?'} ${resourceName(labels)}${labels['scope'] === 'cluster' ? CLUSTER_WIDE_SUFFIX : ''}`;
    totals[key] = (totals[key] ?? 0) + value;
  }
  return totals;
}

/** The request totals now. */
export async function readRequestTotals(access: ApiServerAccess): Promise<Record<string, number>> {
  return parseRequestTotals(await fetchApiServerMetrics(access));
}
