/** The SMI TrafficSplit of a canary, as pure functions: what is written and what is read back. */
import {
  buildTrafficSplit,
  checkSplit,
  checkSplitStrategy,
  checkTrafficSplit,
  readSplit,
  type TrafficSplit,
} from '../../../src/routers/traffic-split.js';
import { MalformedObjectError } from '../../../src/kube/object-shape.js';
import { RouterError } from '../../../src/routers/router.js';
import { AB_ANALYSIS, FULL_SERVICE } from './fixtures.js';
import { smiCanary } from './linkerd-fixtures.js';

const split = (backends: unknown[]): TrafficSplit =>
  ({
    apiVersion: 'split.smi-spec.io/v1alpha1',
    kind: 'TrafficSplit',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { service: 'podinfo', backends },
  }) as TrafficSplit;

describe('buildTrafficSplit', () => {
  it('splits the apex service between canary and primary, v1alpha1 weights as quantities', () => {
    const desired = buildTrafficSplit(smiCanary(), 'v1alpha1', { primary: 70, canary: 30, mirrored: false });
    expect(desired.key).toEqual({
      apiVersion: 'split.smi-spec.io/v1alpha1',
      kind: 'TrafficSplit',
      namespace: 'test',
      name: 'podinfo',
    });
    expect(desired.spec).toEqual({
      service: 'podinfo',
      backends: [
        { service: 'podinfo-canary', weight: '30' },
        { service: 'podinfo-primary', weight: '70' },
      ],
    });
  });

  it.each(['v1alpha2', 'v1alpha3'] as const)('writes integer weights at %s', (version) => {
    const desired = buildTrafficSplit(smiCanary(), version, { primary: 100, canary: 0, mirrored: false });
    expect(desired.key.apiVersion).toBe(`split.smi-spec.io/${version}`);
    expect(desired.spec.backends).toEqual([
      { service: 'podinfo-canary', weight: 0 },
      { service: 'podinfo-primary', weight: 100 },
    ]);
  });

  it('names the services after service.name, labels it with service.apex, ignores the Istio settings', () => {
    const canary = smiCanary({ ...FULL_SERVICE, name: 'web' });
    const desired = buildTrafficSplit(canary, 'v1alpha2', { primary: 90, canary: 10, mirrored: false });
    expect(desired.key.name).toBe('web');
    expect(desired.labels).toEqual({ team: 'web' });
    expect(desired.annotations).toEqual({ 'example.com/owner': 'web' });
    // service.hosts (app.example.com) is an Istio host, not a Service Linkerd could split.
    expect(desired.spec).toEqual({
      service: 'web',
      backends: [
        { service: 'web-canary', weight: 10 },
        { service: 'web-primary', weight: 90 },
      ],
    });
  });

  it('blue/green switches all traffic at once', () => {
    const canary = smiCanary({}, { iterations: 5 });
    checkSplitStrategy(canary);
    const desired = buildTrafficSplit(canary, 'v1alpha2', { primary: 0, canary: 100, mirrored: false });
    expect(desired.spec.backends).toEqual([
      { service: 'podinfo-canary', weight: 100 },
      { service: 'podinfo-primary', weight: 0 },
    ]);
  });
});

describe('checkSplitStrategy', () => {
  it('refuses A/B testing, pointing at gatewayapi:v1', () => {
    expect(() => checkSplitStrategy(smiCanary({}, AB_ANALYSIS))).toThrow(RouterError);
    expect(() => checkSplitStrategy(smiCanary({}, AB_ANALYSIS))).toThrow(
      /Canary test\/podinfo \(provider linkerd\): analysis.match .* use provider gatewayapi:v1/,
    );
  });

  it('refuses mirroring', () => {
    expect(() => checkSplitStrategy(smiCanary({}, { iterations: 5, mirror: true }))).toThrow(
      'Canary test/podinfo (provider linkerd): analysis.mirror is not possible with an SMI TrafficSplit; remove it',
    );
  });

  it('refuses a mirrored split and weights that do not add up', () => {
    expect(() => checkSplit(smiCanary(), { primary: 100, canary: 0, mirrored: true })).toThrow(
      /cannot mirror traffic/,
    );
    expect(() => checkSplit(smiCanary(), { primary: 60, canary: 50, mirrored: false })).toThrow(
      /weights must be whole percentages adding up to 100/,
    );
  });
});

describe('readSplit', () => {
  it('reads integer and quantity weights', () => {
    const canary = smiCanary();
    expect(
      readSplit(
        canary,
        split([
          { service: 'podinfo-canary', weight: 25 },
          { service: 'podinfo-primary', weight: 75 },
        ]),
      ),
    ).toEqual({ primary: 75, canary: 25, mirrored: false });
    expect(
      readSplit(
        canary,
        split([
          { service: 'podinfo-canary', weight: '100m' },
          { service: 'podinfo-primary', weight: '900m' },
        ]),
      ),
    ).toEqual({ primary: 90, canary: 10, mirrored: false });
    expect(
      readSplit(
        canary,
        split([
          { service: 'podinfo-canary', weight: '1' },
          { service: 'podinfo-primary', weight: '1' },
        ]),
      ),
    ).toEqual({ primary: 50, canary: 50, mirrored: false });
  });

  it('gives nothing when neither version has weight (both 0, or other backends)', () => {
    const canary = smiCanary();
    expect(
      readSplit(
        canary,
        split([
          { service: 'podinfo-canary', weight: 0 },
          { service: 'podinfo-primary', weight: 0 },
        ]),
      ),
    ).toBeUndefined();
    expect(readSplit(canary, split([{ service: 'podinfo-v1', weight: 100 }]))).toBeUndefined();
  });

  it('names the backend whose weight is not a quantity', () => {
    expect(() => readSplit(smiCanary(), split([{ service: 'podinfo-canary', weight: 'lots' }]))).toThrow(
      'TrafficSplit test/podinfo: spec.backends[0].weight "lots" is not a non-negative number or quantity',
    );
    expect(() => readSplit(smiCanary(), split([{ service: 'podinfo-primary', weight: -5 }]))).toThrow(
      RouterError,
    );
  });
});

describe('checkTrafficSplit', () => {
  it('refuses a backend list that is not a list, naming the field', () => {
    const bad = { ...split([]), spec: { service: 'podinfo', backends: { service: 'podinfo-primary' } } };
    expect(() => checkTrafficSplit(bad)).toThrow(MalformedObjectError);
    expect(() => checkTrafficSplit(bad)).toThrow(/spec\.backends/);
  });

  it('refuses a backend without a weight', () => {
    expect(() => checkTrafficSplit(split([{ service: 'podinfo-primary' }]))).toThrow(/weight/);
  });
});
