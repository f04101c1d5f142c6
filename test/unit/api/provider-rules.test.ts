/** Validation of the providers with limited routing: kubernetes (blue/green only) and nginx. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { checkDocument, formatFieldError, validateDocument } from '../../../src/api/validate.js';
import { API_VERSION } from '../../../src/api/schema/common.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A Flagger tutorial Canary with only its apiVersion changed. */
function flagger(file: string): Doc {
  const doc = parse(readFileSync(join(ROOT, 'test/fixtures/flagger', file), 'utf8')) as Doc;
  doc.apiVersion = API_VERSION;
  return doc;
}

const errorsOf = (doc: unknown): string[] => validateDocument(doc).map(formatFieldError);
const warningsOf = (doc: unknown): string[] => checkDocument(doc).warnings.map(formatFieldError);

describe('provider kubernetes', () => {
  it("accepts Flagger's Kubernetes blue/green tutorial Canary once its apiVersion is changed", () => {
    expect(errorsOf(flagger('kubernetes-blue-green.yaml'))).toEqual([]);
  });

  it('refuses progressive traffic (stepWeight), naming the field', () => {
    const doc = flagger('kubernetes-blue-green.yaml');
    delete doc.spec.analysis.iterations;
    doc.spec.analysis.stepWeight = 10;
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.iterations: is required with provider kubernetes: progressive traffic (stepWeight, stepWeights) is not supported without a traffic split; set iterations for blue/green',
    ]);
  });

  it('refuses A/B testing (analysis.match)', () => {
    const doc = flagger('kubernetes-blue-green.yaml');
    doc.spec.analysis.match = [{ headers: { 'x-canary': { exact: 'insider' } } }];
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.match: A/B testing is not supported with provider kubernetes (Services cannot route by header or cookie); remove it to run blue/green',
    ]);
  });

  it('warns that mirror and stepWeightPromotion are ignored, as in Flagger', () => {
    const doc = flagger('kubernetes-blue-green.yaml');
    doc.spec.analysis.mirror = true;
    doc.spec.analysis.stepWeightPromotion = 50;
    expect(errorsOf(doc)).toEqual([]);
    expect(warningsOf(doc)).toEqual(
      expect.arrayContaining([
        'spec.analysis.mirror: is ignored with provider kubernetes, which cannot mirror traffic, as in Flagger',
        'spec.analysis.stepWeightPromotion: is ignored with provider kubernetes (no traffic split): promotion switches at once, as in Flagger',
      ]),
    );
  });
});

describe('provider nginx', () => {
  /** The A/B analysis of Flagger's NGINX tutorial. */
  const AB = {
    interval: '1m',
    threshold: 10,
    iterations: 10,
    match: [{ headers: { 'x-canary': { exact: 'insider' } } }, { headers: { cookie: { exact: 'canary' } } }],
    metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }],
  };

  it("accepts Flagger's NGINX tutorial Canary, canary and A/B, once its apiVersion is changed", () => {
    expect(errorsOf(flagger('nginx-canary.yaml'))).toEqual([]);
    const ab = flagger('nginx-canary.yaml');
    ab.spec.analysis = AB;
    expect(errorsOf(ab)).toEqual([]);
  });

  it('requires ingressRef, naming the field', () => {
    const doc = flagger('nginx-canary.yaml');
    delete doc.spec.ingressRef;
    expect(errorsOf(doc)).toEqual([
      'spec.ingressRef: is required with provider nginx: the Ingress (networking.k8s.io/v1) whose canary copy Fledge writes',
    ]);
    doc.spec.ingressRef = { apiVersion: 'v1', kind: 'Service', name: 'podinfo' };
    expect(errorsOf(doc)).toEqual([
      'spec.ingressRef.kind: must be Ingress with provider nginx (got Service)',
    ]);
  });

  it('refuses matches NGINX cannot express, naming each', () => {
    const doc = flagger('nginx-canary.yaml');
    doc.spec.analysis = {
      ...AB,
      match: [
        { headers: { 'x-canary': { exact: 'insider' } }, uri: { prefix: '/api' } },
        { headers: { 'x-user': { prefix: 'beta' } } },
        { headers: { 'x-other': { exact: 'yes' }, cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } },
      ],
    };
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.match[0].uri: is not supported with provider nginx: NGINX canary Ingresses match one header and one cookie only',
      'spec.analysis.match[1].headers.x-user: supports only exact or regex with provider nginx (got prefix)',
      'spec.analysis.match[2].headers.x-other: NGINX routes by one header only (also spec.analysis.match[0].headers.x-canary)',
      'spec.analysis.match[2].headers.cookie: with provider nginx, the cookie condition is exact: NAME (the cookie NGINX routes by; its value "always" selects the canary)',
    ]);
  });

  it('warns that mirror is ignored, as in Flagger', () => {
    const doc = flagger('nginx-canary.yaml');
    doc.spec.analysis.mirror = true;
    expect(warningsOf(doc)).toContain(
      'spec.analysis.mirror: is ignored with provider nginx, which cannot mirror traffic, as in Flagger',
    );
  });
});
