import {
  createMetricProviderFactory,
  MetricProviderConfigError,
  prometheusAuthFrom,
} from '../../../analysis/providers/factory.js';
import { PrometheusProvider } from '../../../analysis/providers/prometheus.js';

describe('metric provider factory', () => {
  const secrets: Record<string, Record<string, string>> = {
    'monitoring/prom-token': { token: 't0k3n' },
    'monitoring/prom-basic': { username: 'u', password: 'p' },
    'monitoring/prom-empty': {},
  };
  const factory = createMetricProviderFactory({ readSecret: async (ns, name) => secrets[`${ns}/${name}`] });

  it('builds a Prometheus provider and reuses it for the same configuration', async () => {
    const a = await factory({ type: 'prometheus', address: 'http://prom:9090' }, 'test');
    const b = await factory({ type: 'prometheus', address: 'http://prom:9090' }, 'test');
    const c = await factory({ type: 'prometheus', address: 'http://other:9090' }, 'test');
    expect(a).toBeInstanceOf(PrometheusProvider);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('keeps a bounded number of providers: one per token rotation would grow without end', async () => {
    const rotating: Record<string, string> = { token: 'v0' };
    const bounded = createMetricProviderFactory({ readSecret: async () => rotating, maxCachedProviders: 2 });
    const ref = { type: 'prometheus', address: 'http://prom:9090', secretRef: { name: 'prom' } };
    const first = await bounded(ref, 'test');
    expect(await bounded(ref, 'test')).toBe(first);
    for (let i = 1; i <= 3; i++) {
      rotating['token'] = `v${i}`;
      await bounded(ref, 'test');
    }
    // The token of the first provider came back: it was evicted, so a new provider is built.
    rotating['token'] = 'v0';
    expect(await bounded(ref, 'test')).not.toBe(first);
    // The most recent one is still reused.
    expect(await bounded(ref, 'test')).toBe(await bounded(ref, 'test'));
  });

  it('reads bearer and basic credentials from the Secret', () => {
    expect(prometheusAuthFrom({ token: 'x' }, 's')).toEqual({ bearerToken: 'x' });
    expect(prometheusAuthFrom({ username: 'u', password: 'p' }, 's')).toEqual({
      username: 'u',
      password: 'p',
    });
    expect(() => prometheusAuthFrom({ username: 'u' }, 'Secret a/b')).toThrow(
      'Secret a/b: basic auth needs both "username" and "password" keys',
    );
  });

  it('names the missing or empty Secret and the unsupported provider', async () => {
    await expect(
      factory({ type: 'prometheus', address: 'http://p', secretRef: { name: 'nope' } }, 'monitoring'),
    ).rejects.toThrow('Secret monitoring/nope not found');
    await expect(
      factory({ type: 'prometheus', address: 'http://p', secretRef: { name: 'prom-empty' } }, 'monitoring'),
    ).rejects.toThrow(MetricProviderConfigError);
    await expect(factory({ type: 'datadog', address: 'http://d' }, 'test')).rejects.toThrow(
      'metric provider "datadog" is not supported (supported: prometheus)',
    );
    await expect(
      factory({ type: 'prometheus', address: 'http://p', secretRef: { name: 'prom-token' } }, 'monitoring'),
    ).resolves.toBeInstanceOf(PrometheusProvider);
  });
});
