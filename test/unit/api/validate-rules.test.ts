import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { checkDocument, formatFieldError } from '../../../src/api/validate.js';
import { API_VERSION } from '../../../src/api/schema/common.js';
import { resolveCanary } from '../../../src/api/defaults.js';
import type { Canary } from '../../../src/api/schema/canary.js';
import { errorsOf, flaggerCanary as canary, type Doc } from './flagger-canary.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const warningsOf = (doc: unknown): string[] => checkDocument(doc).warnings.map(formatFieldError);

describe('duration bounds', () => {
  it('bounds analysis.interval to 24h and warns below Flagger floor of 10s', () => {
    const doc = canary();
    doc.spec.analysis.interval = '300h';
    expect(errorsOf(doc)).toEqual(['spec.analysis.interval: must be at most 24h (got "300h")']);
    doc.spec.analysis.interval = '5s';
    expect(errorsOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toContain(
      "spec.analysis.interval: is below 10s: the controller raises it to its --min-interval (default 10s, Flagger's floor)",
    );
  });

  it.each([
    ['1500us', 'must be at least 100ms (got "1500us")'],
    ['600h', 'must be at most 1h (got "600h")'],
    ['2000h', 'must be at most 1h (got "2000h")'],
    ['0s', 'must be greater than zero'],
  ])('bounds a webhook timeout of %s, naming the field', (timeout, message) => {
    const doc = canary();
    doc.spec.analysis.webhooks[0].timeout = timeout;
    expect(errorsOf(doc)).toEqual([`spec.analysis.webhooks[0].timeout: ${message}`]);
  });

  it('bounds progressDeadlineSeconds and the route timeouts', () => {
    const doc = canary();
    doc.spec.progressDeadlineSeconds = 10_000_000;
    expect(errorsOf(doc)).toEqual(['spec.progressDeadlineSeconds: must be <= 86400 (got 10000000)']);
    const routes = canary();
    routes.spec.service.timeout = '25h';
    routes.spec.service.retries = { attempts: 3, perTryTimeout: '1us' };
    expect(errorsOf(routes)).toEqual([
      'spec.service.timeout: must be at most 24h (got "25h")',
      'spec.service.retries.perTryTimeout: must be at least 1ms (got "1us")',
    ]);
  });

  it.each(['1.5m', '0.5h', '+30s', '30', '1m1h', '2d'])(
    'accepts only Prometheus durations as metric intervals: %s',
    (interval) => {
      const doc = canary();
      doc.spec.analysis.metrics[0].interval = interval;
      const errors = errorsOf(doc);
      if (interval === '2d') {
        expect(errors).toEqual(['spec.analysis.metrics[0].interval: must be at most 24h (got "2d")']);
      } else {
        expect(errors).toEqual([
          `spec.analysis.metrics[0].interval: must be a Prometheus duration: whole numbers with units, largest first, such as 30s, 1m or 1h30m (got ${JSON.stringify(interval)})`,
        ]);
      }
    },
  );

  it('accepts Prometheus durations Go would not parse', () => {
    const doc = canary();
    doc.spec.analysis.metrics[0].interval = '1d';
    doc.spec.analysis.metrics[1].interval = '1h30m';
    expect(errorsOf(doc)).toEqual([]);
  });
});

describe('values and addresses the API server or the controller refuse', () => {
  it('refuses .inf and .nan with the field path', () => {
    const doc = parse(
      readFileSync(join(ROOT, 'test/fixtures/flagger/podinfo.yaml'), 'utf8')
        .replace('min: 99', 'min: .nan')
        .replace('max: 500', 'max: .inf'),
    ) as Doc;
    doc.apiVersion = API_VERSION;
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.metrics[0].thresholdRange.min: must be a finite number (got NaN): the API server refuses .inf and .nan',
      'spec.analysis.metrics[1].thresholdRange.max: must be a finite number (got Infinity): the API server refuses .inf and .nan',
    ]);
  });

  it('refuses addresses that are not http(s) URLs', () => {
    const doc = canary();
    doc.spec.metricsServer = 'prometheus:9090';
    doc.spec.analysis.webhooks[0].url = 'http://';
    expect(errorsOf(doc)).toEqual([
      'spec.metricsServer: must be an http:// or https:// address (got "prometheus:9090")',
      'spec.analysis.webhooks[0].url: must be an http:// or https:// address (got "http://")',
    ]);
  });

  it('refuses AlertProvider fields the notifier factory refuses', () => {
    const provider = (spec: Doc) => ({
      apiVersion: API_VERSION,
      kind: 'AlertProvider',
      metadata: { name: 'chat', namespace: 'test' },
      spec,
    });
    expect(errorsOf(provider({ type: 'slack', address: 'https://hooks.example.com/x' }))).toEqual([]);
    expect(
      errorsOf(provider({ type: 'slack', address: 'hooks.example.com', proxy: 'http://proxy:3128' })),
    ).toEqual([
      'spec.proxy: is not supported by this version of Fledge; remove it or reach the address directly',
      'spec.address: must be an http:// or https:// address (got "hooks.example.com")',
    ]);
    expect(errorsOf(provider({ type: 'msteams' }))).toEqual([
      'spec.address: is required unless spec.secretRef names a Secret with an "address" key',
    ]);
  });

  it('refuses a MetricTemplate without a usable address', () => {
    const template = (provider: Doc) => ({
      apiVersion: API_VERSION,
      kind: 'MetricTemplate',
      metadata: { name: 'errors', namespace: 'test' },
      spec: { provider, query: 'sum(x)' },
    });
    expect(errorsOf(template({ type: 'prometheus' }))).toEqual([
      'spec.provider.address: is required for provider type prometheus',
    ]);
    expect(errorsOf(template({ type: 'prometheus', address: 'ftp://x' }))).toEqual([
      'spec.provider.address: must be an http:// or https:// address (got "ftp://x")',
    ]);
  });

  it("refuses a MetricTemplate count query that does not select the version's workload", () => {
    const template = (countQueries: Doc) => ({
      apiVersion: API_VERSION,
      kind: 'MetricTemplate',
      metadata: { name: 'errors', namespace: 'test' },
      spec: {
        provider: { type: 'prometheus', address: 'http://prometheus:9090' },
        query: 'sum(x)',
        countQueries,
      },
    });
    const requests = 'sum(increase(x_total{app="{{ workload }}"}[{{ interval }}]))';
    expect(errorsOf(template({ requests, errors: requests }))).toEqual([]);
    expect(errorsOf(template({ requests, errors: 'sum(increase(x_total{app="podinfo"}[1m]))' }))).toEqual([
      "spec.countQueries.errors: must select the version's workload with {{ workload }}, or the canary's and the primary's queries are the same",
    ]);
    expect(errorsOf(template({ requests }))).toEqual(['spec.countQueries.errors: required field is missing']);
  });
});

describe('names Kubernetes refuses', () => {
  it('refuses generated Service names over 63 characters, naming the field that makes them', () => {
    const doc = canary();
    doc.spec.targetRef.name = 'a'.repeat(56);
    expect(errorsOf(doc)).toEqual([
      `spec.targetRef.name: the generated Service "${'a'.repeat(56)}-primary" must be at most 63 characters (has 64)`,
    ]);
    doc.spec.targetRef.name = 'podinfo';
    doc.spec.service.name = 'b'.repeat(56);
    expect(errorsOf(doc)[0]).toMatch(
      /^spec\.service\.name: the generated Service "b+-primary" must be at most 63/,
    );
  });

  it('refuses names that are not DNS-1123, and a Service name starting with a digit', () => {
    const doc = canary();
    doc.metadata.name = 'PodInfo';
    doc.spec.targetRef.name = '1podinfo';
    doc.spec.service.portName = 'HTTP';
    expect(errorsOf(doc)).toEqual([
      'metadata.name: must be lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (DNS-1123 subdomain)',
      'spec.targetRef.name: the apex Service name "1podinfo" must be lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (DNS-1035 label, as Kubernetes before the relaxed Service names requires)',
      'spec.service.portName: the Service port name must be lowercase letters, digits and "-", starting and ending with a letter or digit (DNS-1123 label)',
    ]);
  });
});

describe("Flagger's accepted combinations: accepted, with Flagger's meaning and a warning", () => {
  it('maxWeight with stepWeights: the last step is the max weight', () => {
    const doc = canary();
    delete doc.spec.analysis.stepWeight;
    doc.spec.analysis.stepWeights = [5, 20, 40];
    doc.spec.analysis.maxWeight = 80;
    expect(errorsOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toEqual([
      'spec.analysis.maxWeight: is ignored: with stepWeights the last step (40) is the max weight, as in Flagger',
    ]);
    const resolved = resolveCanary(doc as Canary, { defaultProvider: 'istio' });
    expect(resolved.analysis.steps).toEqual([5, 20, 40]);
    expect(resolved.analysis.maxWeight).toBe(40);
  });

  it('iterations with stepWeight: blue/green', () => {
    const doc = canary();
    doc.spec.analysis.iterations = 5;
    expect(errorsOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toEqual([
      'spec.analysis.stepWeight: is ignored: iterations selects blue/green, as in Flagger',
      'spec.analysis.maxWeight: is ignored: iterations selects blue/green, as in Flagger',
    ]);
    expect(resolveCanary(doc as Canary, { defaultProvider: 'istio' }).analysis.strategy).toBe('blue-green');
  });

  it('mirrorWeight without mirror: no mirroring', () => {
    const doc = canary();
    doc.spec.analysis.mirrorWeight = 50;
    expect(errorsOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toEqual([
      'spec.analysis.mirrorWeight: has no effect without analysis.mirror: true',
    ]);
    expect(resolveCanary(doc as Canary, { defaultProvider: 'istio' }).analysis.mirror).toBe(false);
  });

  it('a metric without thresholdRange: compared with 0, as Flagger does', () => {
    const doc = canary();
    delete doc.spec.analysis.metrics[0].thresholdRange;
    delete doc.spec.analysis.metrics[1].thresholdRange;
    expect(errorsOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toEqual([
      'spec.analysis.metrics[0].thresholdRange: is not set: as in Flagger the check is "value >= 0", which always passes; set thresholdRange.min',
      'spec.analysis.metrics[1].thresholdRange: is not set: as in Flagger the check is "value <= 0", which fails for any value above 0; set thresholdRange',
    ]);
    const metrics = resolveCanary(doc as Canary, { defaultProvider: 'istio' }).analysis.metrics;
    expect(metrics.map((m) => m.thresholdRange)).toEqual([{ min: 0 }, { max: 0 }]);
  });

  it('a builtin name with its own query runs both', () => {
    const doc = canary();
    doc.spec.analysis.metrics[0].query = 'sum(rate(requests[1m]))';
    expect(errorsOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toEqual([
      'spec.analysis.metrics[0].query: runs besides the builtin request-success-rate query, as in Flagger: both must pass; rename the metric to run only the query',
    ]);
  });
});

describe('Flagger routing fields: session affinity, delegation, service.mirror', () => {
  it('accepts sessionAffinity with a cookie name, and names what is wrong in one', () => {
    const doc = canary();
    doc.spec.analysis.sessionAffinity = { cookieName: 'flagger-cookie', maxAge: 21600 };
    expect(errorsOf(doc)).toEqual([]);
    doc.spec.analysis.sessionAffinity = { cookieName: 'flagger-cookie', primaryCookieName: 'primary-cookie' };
    expect(errorsOf(doc)).toEqual([]);
    doc.spec.analysis.sessionAffinity = { maxAge: 60 };
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.sessionAffinity.cookieName: is required with sessionAffinity',
    ]);
    doc.spec.analysis.sessionAffinity = { cookieName: 'my cookie', primaryCookieName: 'a;b' };
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.sessionAffinity.cookieName: must be a cookie name: letters, digits and !#$%&\'*+-.^_`|~ only (got "my cookie")',
      'spec.analysis.sessionAffinity.primaryCookieName: must be a cookie name: letters, digits and !#$%&\'*+-.^_`|~ only (got "a;b")',
    ]);
    doc.spec.analysis.sessionAffinity = { cookieName: 'c', primaryCookieName: 'c' };
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.sessionAffinity.primaryCookieName: must differ from cookieName: one cookie cannot keep users on both versions',
    ]);
  });

  it('refuses sessionAffinity with A/B testing and with tcp routes, where Flagger drops its routes', () => {
    const doc = canary();
    doc.spec.analysis.sessionAffinity = { cookieName: 'flagger-cookie' };
    delete doc.spec.analysis.stepWeight;
    delete doc.spec.analysis.maxWeight;
    Object.assign(doc.spec.analysis, {
      iterations: 10,
      match: [{ headers: { 'user-type': { exact: 'premium' } } }],
    });
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.sessionAffinity: cannot be combined with analysis.match (A/B testing sends the matched requests to the canary; Flagger drops the cookie routes there)',
    ]);
    const tcp = canary();
    tcp.spec.service.appProtocol = 'tcp';
    tcp.spec.analysis.sessionAffinity = { cookieName: 'flagger-cookie' };
    expect(errorsOf(tcp)).toEqual([
      'spec.analysis.sessionAffinity: needs HTTP routes: it cannot be combined with service.appProtocol: tcp (tcp routes shift weights only)',
    ]);
  });

  it('resolves a delegate VirtualService to no gateways, not the default mesh (messages: validate.test.ts)', () => {
    const doc = canary();
    delete doc.spec.service.hosts;
    delete doc.spec.service.gateways;
    expect(resolveCanary(doc as Canary, { defaultProvider: 'istio' }).service.gateways).toEqual(['mesh']);
    doc.spec.service.delegation = true;
    expect(errorsOf(doc)).toEqual([]);
    expect(resolveCanary(doc as Canary, { defaultProvider: 'istio' }).service.gateways).toEqual([]);
  });

  it('warns that service.mirror is ignored with Istio (Gateway API only), as in Flagger', () => {
    const doc = canary();
    doc.spec.service.mirror = [{ backendRef: { name: 'shadow', port: 9898 } }];
    expect(errorsOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toContain(
      'spec.service.mirror: is ignored with provider istio (spec.provider unset) (Gateway API only), as in Flagger; use analysis.mirror to mirror to the canary',
    );
  });
});

describe('fields Fledge refuses or ignores in some combinations', () => {
  it('accepts appProtocol: tcp, refusing the analysis fields that need HTTP routes', () => {
    const doc = canary();
    doc.spec.service.appProtocol = 'TCP';
    expect(errorsOf(doc)).toEqual([]);
    doc.spec.analysis.match = [{ headers: { 'user-type': { exact: 'premium' } } }];
    doc.spec.analysis.iterations = 10;
    doc.spec.analysis.mirror = true;
    const why =
      'needs HTTP routes: it cannot be combined with service.appProtocol: tcp (tcp routes shift weights only)';
    expect(errorsOf(doc)).toEqual(
      expect.arrayContaining([`spec.analysis.match: ${why}`, `spec.analysis.mirror: ${why}`]),
    );
  });

  it('warns that HTTP route settings are ignored with appProtocol: tcp', () => {
    const doc = canary();
    Object.assign(doc.spec.service, { appProtocol: 'tcp', timeout: '10s', retries: { attempts: 3 } });
    expect(errorsOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toEqual([
      'spec.service.timeout: is ignored with service.appProtocol: tcp (tcp routes carry weights only), as in Flagger',
      'spec.service.retries: is ignored with service.appProtocol: tcp (tcp routes carry weights only), as in Flagger',
    ]);
  });

  it('warns of fields Flagger ignores with Istio too', () => {
    const doc = canary();
    doc.spec.service.gatewayRefs = [{ name: 'gw' }];
    expect(errorsOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toEqual([
      'spec.service.gatewayRefs: is ignored with provider istio (spec.provider unset) (Gateway API only), as in Flagger; use service.gateways',
    ]);
  });
});

describe('messages', () => {
  it('truncates an echoed value', () => {
    const doc = canary();
    doc.spec.provider = 'x'.repeat(1_000_000);
    const [error] = errorsOf(doc);
    expect(error!.length).toBeLessThan(400);
    expect(error).toContain('more characters');
  });

  it('reports nesting too deep with a path, without overflowing the stack', () => {
    const doc = canary();
    let inner: Doc = {};
    doc.spec.service.trafficPolicy = inner;
    for (let i = 0; i < 200_000; i++) {
      const next: Doc = {};
      inner.a = next;
      inner = next;
    }
    const [error] = errorsOf(doc);
    expect(error).toMatch(
      /^spec\.service\.trafficPolicy\.a\.a.*: is nested too deeply \(more than 64 levels\)$/,
    );
    expect(error!.length).toBeLessThan(300);
  });
});

describe('analysis.rollbackWindow', () => {
  function withWindow(window: unknown): string[] {
    const doc = canary();
    doc.spec.analysis.rollbackWindow = window;
    return errorsOf(doc);
  }

  it('accepts 2 to 10 revisions and resolves them; off when absent', () => {
    expect(withWindow({ revisions: 2 })).toEqual([]);
    expect(withWindow({ revisions: 10 })).toEqual([]);
    const doc = canary();
    doc.spec.analysis.rollbackWindow = { revisions: 4 };
    expect(resolveCanary(doc as Canary, { defaultProvider: 'istio' }).analysis.rollbackWindowRevisions).toBe(
      4,
    );
    expect(
      resolveCanary(canary() as Canary, { defaultProvider: 'istio' }).analysis.rollbackWindowRevisions,
    ).toBe(0);
  });

  it('names the field and the bound of a count out of range, or missing', () => {
    expect(withWindow({ revisions: 1 })).toEqual([
      'spec.analysis.rollbackWindow.revisions: must be >= 2 (got 1)',
    ]);
    expect(withWindow({ revisions: 11 })).toEqual([
      'spec.analysis.rollbackWindow.revisions: must be <= 10 (got 11)',
    ]);
    expect(withWindow({})).toEqual(['spec.analysis.rollbackWindow.revisions: required field is missing']);
    expect(withWindow({ revisions: 3, seconds: 60 })).toEqual([
      'spec.analysis.rollbackWindow.seconds: unknown field (known: revisions)',
    ]);
  });
});
