/**
 * Builds metric providers from a MetricTemplate's `spec.provider` (or the builtin metrics' implicit
 * Prometheus at `metricsServer`), reading credentials from the referenced Secret. Providers are
 * cached per configuration so connections are reused across ticks.
 */
import type { MetricProviderRef } from '../run-checks.js';
import type { MetricsProvider } from '../provider.js';
import { PrometheusProvider, type PrometheusAuth } from './prometheus.js';
import { LRUCache } from 'lru-cache';

/** Secret keys Flagger reads for Prometheus credentials. */
export const PROMETHEUS_SECRET_KEYS = { token: 'token', username: 'username', password: 'password' } as const;

/** Reads a Secret's decoded data; undefined when the Secret does not exist. */
export type SecretReader = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

export class MetricProviderConfigError extends Error {
  override name = 'MetricProviderConfigError';
}

/** Credentials from a Secret: `token` (bearer), or `username` and `password` (basic auth). */
export function prometheusAuthFrom(data: Record<string, string>, where: string): PrometheusAuth | undefined {
  const { token, username, password } = PROMETHEUS_SECRET_KEYS;
  if (data[token]) return { bearerToken: data[token] };
  if (data[username] !== undefined || data[password] !== undefined) {
    if (!data[username] || !data[password]) {
      throw new MetricProviderConfigError(
        `${where}: basic auth needs both "${username}" and "${password}" keys`,
      );
    }
    return { username: data[username], password: data[password] };
  }
  throw new MetricProviderConfigError(
    `${where}: no credentials found (expected key "${token}", or "${username}" and "${password}")`,
  );
}

export interface MetricProviderFactoryOptions {
  readSecret: SecretReader;
  timeoutMs?: number;
  /** Providers kept for reuse, least recently used dropped first (default 256). */
  maxCachedProviders?: number;
}

/** Returns a `providerFor` function for {@link runMetricChecks}. */
export function createMetricProviderFactory(
  options: MetricProviderFactoryOptions,
): (spec: MetricProviderRef, namespace: string) => Promise<MetricsProvider> {
  // Bounded: a rotated token or a changed address makes a new key, and the old entry must not stay.
  const cache = new LRUCache<string, MetricsProvider>({ max: options.maxCachedProviders ?? 256 });
  return async (spec, namespace) => {
    if (spec.type !== 'prometheus') {
      throw new MetricProviderConfigError(
        `metric provider "${spec.type}" is not supported (supported: prometheus)`,
      );
    }
    let auth: PrometheusAuth | undefined;
    let secrets: string[] = [];
    if (spec.secretRef) {
      const where = `Secret ${namespace}/${spec.secretRef.name}`;
      const data = await options.readSecret(namespace, spec.secretRef.name);
      if (!data) throw new MetricProviderConfigError(`${where} not found`);
      auth = prometheusAuthFrom(data, where);
      // Every value read is scrubbed from the provider's messages, not only the keys it uses.
      secrets = Object.values(data);
    }
    const key = JSON.stringify([spec.address, auth, spec.headers, spec.insecureSkipVerify, secrets]);
    let provider = cache.get(key);
    if (!provider) {
      provider = new PrometheusProvider({
        address: spec.address,
        auth,
        headers: spec.headers,
        insecureSkipVerify: spec.insecureSkipVerify,
        timeoutMs: options.timeoutMs,
        secrets,
      });
      cache.set(key, provider);
    }
    return provider;
  };
}
