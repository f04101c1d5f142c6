/**
 * Property-based checks of `fledge validate` on generated manifests: whatever the input, it never
 * throws, every problem names a field path (or is a YAML error), its position is inside the file,
 * and no echoed value is longer than the truncation allows.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { checkManifests, parseManifests } from '../../../src/cli/validate.js';
import { checkDocument } from '../../../src/api/validate.js';

const scalar = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ minLength: 200, maxLength: 2_000 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Infinity, -Infinity, Number.NaN, 2 ** 60, 0, -1),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '1.5m',
    '0.5h',
    '+30s',
    '1500us',
    '600h',
    '10s',
    '1m',
    'http://x/',
    'not a url',
    'Bad_Name',
  ),
);

/** Values for the fields a Canary has, sometimes of the wrong type. */
const canary = fc.record(
  {
    apiVersion: fc.constantFrom('fledge.dev/v1alpha1', 'flagger.app/v1beta1'),
    kind: fc.constant('Canary'),
    metadata: fc.record({
      name: fc.oneof(fc.constantFrom('podinfo', 'a'.repeat(60)), fc.string()),
      namespace: fc.constantFrom('test', 'Te_st'),
    }),
    spec: fc.record(
      {
        provider: fc.oneof(fc.constant('istio'), scalar),
        metricsServer: scalar,
        targetRef: fc.record({
          kind: fc.constantFrom('Deployment', 'DaemonSet'),
          name: fc.oneof(fc.constant('podinfo'), fc.string()),
        }),
        service: fc.record(
          {
            port: fc.oneof(fc.constant(9898), scalar),
            name: scalar,
            timeout: scalar,
            portName: scalar,
            mirror: fc.array(fc.object(), { maxLength: 2 }),
          },
          { requiredKeys: ['port'] },
        ),
        analysis: fc.record(
          {
            interval: scalar,
            threshold: scalar,
            stepWeight: fc.oneof(fc.integer({ min: 1, max: 100 }), scalar),
            stepWeights: fc.array(fc.integer({ min: -5, max: 120 }), { maxLength: 5 }),
            maxWeight: scalar,
            iterations: scalar,
            mirrorWeight: scalar,
            metrics: fc.array(
              fc.record(
                {
                  name: fc.oneof(fc.constantFrom('request-success-rate', 'request-duration'), fc.string()),
                  interval: scalar,
                  query: scalar,
                  thresholdRange: fc.record({ min: scalar, max: scalar }),
                },
                { requiredKeys: ['name'] },
              ),
              { maxLength: 3 },
            ),
            webhooks: fc.array(fc.record({ name: scalar, url: scalar, timeout: scalar }), { maxLength: 3 }),
            sessionAffinity: fc.object({ maxDepth: 1 }),
          },
          { requiredKeys: [] },
        ),
        progressDeadlineSeconds: scalar,
      },
      { requiredKeys: ['targetRef', 'service', 'analysis'] },
    ),
  },
  { requiredKeys: ['apiVersion', 'kind', 'spec'] },
);

const ECHO_LIMIT = 80 + 40; // the truncated value, its quotes and "... (N more characters)"

describe('fledge validate on generated manifests', () => {
  it('never throws; every error names a field path and sits inside the file; echoes are truncated', () => {
    fc.assert(
      fc.property(fc.oneof(canary, fc.anything({ maxDepth: 4 })), (doc) => {
        const text = stringify(doc) ?? '';
        const { manifests, findings: yamlFindings } = parseManifests('gen.yaml', text);
        const { findings } = checkManifests(manifests);
        const lines = text.split('\n').length;
        for (const f of [...yamlFindings, ...findings]) {
          if (f.line !== undefined) {
            expect(f.line).toBeGreaterThanOrEqual(1);
            expect(f.line).toBeLessThanOrEqual(lines);
          }
          if (f.subject)
            expect(f.error.path === '' ? 'document' : f.error.path).toMatch(/^(document|[A-Za-z])/);
          const longestQuoted = Math.max(
            0,
            ...[...f.error.message.matchAll(/"[^"]*"/g)].map((m) => m[0].length),
          );
          expect(longestQuoted).toBeLessThanOrEqual(ECHO_LIMIT);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('checks any value handed to the controller without throwing, naming a path for every field error', () => {
    fc.assert(
      fc.property(fc.oneof(canary, fc.anything({ maxDepth: 5, withNullPrototype: true })), (doc) => {
        const { errors, warnings } = checkDocument(doc);
        for (const e of [...errors, ...warnings]) {
          expect(typeof e.path).toBe('string');
          expect(e.message.length).toBeGreaterThan(0);
          expect(e.message.length).toBeLessThan(1_000);
        }
        const isObject = typeof doc === 'object' && doc !== null && !Array.isArray(doc);
        if (isObject)
          for (const e of errors) expect(e.path === '' && e.message.startsWith('document')).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
