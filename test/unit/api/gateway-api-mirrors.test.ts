/** `spec.service.mirror` with a Gateway API provider: each entry checked as the HTTPRoute CRD checks it. */
import { API_VERSION } from '../../../src/api/schema/common.js';
import { checkDocument, formatFieldError } from '../../../src/api/validate.js';

function canary(mirror: unknown, provider = 'gatewayapi:v1'): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      provider,
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898, gatewayRefs: [{ name: 'gw' }], mirror },
      analysis: { interval: '1m', threshold: 5, stepWeight: 10, maxWeight: 50 },
    },
  };
}

const errorsOf = (doc: unknown): string[] => checkDocument(doc).errors.map(formatFieldError);
const warningsOf = (doc: unknown): string[] => checkDocument(doc).warnings.map(formatFieldError);

describe('validate: service.mirror with a Gateway API provider', () => {
  it.each(['gatewayapi:v1', 'gatewayapi:v1beta1'])(
    'accepts backendRefs with percent, fraction or neither, without a warning (%s)',
    (provider) => {
      const doc = canary(
        [
          { backendRef: { name: 'shadow', port: 9898 } },
          { backendRef: { name: 'shadow-b', port: 9898 }, percent: 0 },
          { backendRef: { name: 'recorder', namespace: 'audit', port: 80 }, fraction: { numerator: 1 } },
          { backendRef: { group: 'example.com', kind: 'Backend', name: 'external' }, percent: 100 },
        ],
        provider,
      );
      expect(errorsOf(doc)).toEqual([]);
      expect(warningsOf(doc)).toEqual([]);
    },
  );

  it.each([
    [{}, 'spec.service.mirror[0].backendRef: is required: an object with name and port'],
    [
      { backendRef: { port: 80 } },
      'spec.service.mirror[0].backendRef.name: is required: a name of 1 to 253 characters',
    ],
    [
      { backendRef: { name: 'shadow' } },
      'spec.service.mirror[0].backendRef.port: is required for a Service: the service port to copy to',
    ],
    [
      { backendRef: { name: 'shadow', port: 0 } },
      'spec.service.mirror[0].backendRef.port: must be an integer from 1 to 65535',
    ],
    [
      { backendRef: { name: 'shadow', port: 80, namespace: 'Audit' } },
      'spec.service.mirror[0].backendRef.namespace: must be a string of at most 63 characters',
    ],
    [
      { backendRef: { name: 'shadow', port: 80, nmespace: 'audit' } },
      'spec.service.mirror[0].backendRef.nmespace: unknown field (known: group, kind, name, namespace, port)',
    ],
    [
      { backendRef: { name: 'shadow', port: 80 }, percent: 101 },
      'spec.service.mirror[0].percent: must be an integer from 0 to 100',
    ],
    [
      { backendRef: { name: 'shadow', port: 80 }, percent: 2.5 },
      'spec.service.mirror[0].percent: must be an integer from 0 to 100',
    ],
    [
      { backendRef: { name: 'shadow', port: 80 }, percent: 10, fraction: { numerator: 1 } },
      'spec.service.mirror[0].fraction: cannot be set with percent: set one of them',
    ],
    [
      { backendRef: { name: 'shadow', port: 80 }, fraction: { numerator: 3, denominator: 2 } },
      'spec.service.mirror[0].fraction.numerator: must be at most the denominator (2)',
    ],
    [
      { backendRef: { name: 'shadow', port: 80 }, fraction: { numerator: 1, denominator: 0 } },
      'spec.service.mirror[0].fraction.denominator: must be an integer of at least 1',
    ],
    [
      { backendRef: { name: 'shadow', port: 80 }, fraction: {} },
      'spec.service.mirror[0].fraction.numerator: is required: an integer of at least 0',
    ],
    [
      { backendRef: { name: 'shadow', port: 80 }, weight: 10 },
      'spec.service.mirror[0].weight: unknown field (known: backendRef, percent, fraction)',
    ],
    [
      { backendRef: { name: 'podinfo-canary', port: 9898 } },
      "spec.service.mirror[0].backendRef.name: is the canary's own service podinfo-canary: use analysis.mirror to mirror to the canary",
    ],
  ])('refuses %j, naming the field', (entry, message) => {
    const errors = errorsOf(canary([entry]));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it('refuses more mirrors than a Gateway API rule has room for', () => {
    const mirror = Array.from({ length: 16 }, (_, i) => ({ backendRef: { name: `shadow-${i}`, port: 80 } }));
    expect(errorsOf(canary(mirror))).toEqual([
      'spec.service.mirror: has 16 entries; at most 15 fit in a Gateway API rule (16 filters, of which the header and rewrite filters and the one Fledge adds take the rest)',
    ]);
    expect(errorsOf(canary(mirror.slice(0, 15)))).toEqual([]);
  });
});
