/** spec.analysis.judge and the metrics' judge: validation naming the field, and what it resolves to. */
import { resolveCanary } from '../../../src/api/defaults.js';
import { judgedTemplateMetric } from '../../../src/api/judge-rules.js';
import type { Canary } from '../../../src/api/schema/canary.js';
import { errorsOf, flaggerCanary as canary, type Doc } from './flagger-canary.js';

const resolved = (doc: Doc) => resolveCanary(doc as Canary, { defaultProvider: 'istio' });

describe('spec.analysis.judge', () => {
  it('is off for a Flagger manifest', () => {
    const doc = canary();
    expect(errorsOf(doc)).toEqual([]);
    expect(resolved(doc).analysis.judge).toBeUndefined();
  });

  it('resolves the defaults: 5xx judged, latency not, fail at the hold limit', () => {
    const doc = canary();
    doc.spec.analysis.judge = {};
    expect(errorsOf(doc)).toEqual([]);
    expect(resolved(doc).analysis.judge).toMatchObject({
      onHoldLimit: 'fail',
      settings: { alpha: 0.005, beta: 0.01, maxHolds: 60, latency: undefined },
    });
  });

  it('is turned on by judge: true on request-success-rate alone, with the default settings', () => {
    const doc = canary();
    doc.spec.analysis.metrics = [{ name: 'request-success-rate', thresholdRange: { min: 99 }, judge: true }];
    expect(errorsOf(doc)).toEqual([]);
    expect(resolved(doc).analysis.judge?.settings.maxHolds).toBe(60);
  });

  it('names the field and the rule of a bad setting', () => {
    const doc = canary();
    doc.spec.analysis.judge = { alpha: 2, latency: { edgeMs: 250, regressionRatio: 0.5 } };
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.judge.latency.regressionRatio: must be a ratio greater than spec.analysis.judge.latency.allowedRatio (1), got 0.5',
    ]);
    doc.spec.analysis.judge = { alpha: 2 };
    expect(errorsOf(doc)).toEqual(['spec.analysis.judge.alpha: must be a probability in (0, 1), got 2']);
    doc.spec.analysis.judge = { onHoldLimit: 'wait' };
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.judge.onHoldLimit: must be one of: fail, gate (got "wait")',
    ]);
  });

  it('accepts judge only on the builtin metrics, and request-duration only with latency.edgeMs', () => {
    const doc = canary();
    doc.spec.analysis.metrics = [
      { name: 'request-success-rate', thresholdRange: { min: 99 } },
      { name: 'request-duration', thresholdRange: { max: 500 }, judge: true },
      { name: 'cpu', query: 'up', thresholdRange: { max: 1 }, judge: true },
    ];
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.metrics[1].judge: judging request-duration needs spec.analysis.judge.latency.edgeMs, a bucket bound of the latency histogram',
      'spec.analysis.metrics[2].judge: only the builtin request-success-rate (5xx) and request-duration (latency), or a metric with a templateRef whose MetricTemplate gives spec.countQueries, can be compared with the primary, not "cpu"',
    ]);
    doc.spec.analysis.metrics.pop();
    doc.spec.analysis.judge = { latency: { edgeMs: 250 } };
    expect(errorsOf(doc)).toEqual([]);
    expect(resolved(doc).analysis.judge?.settings.latency?.edgeMs).toBe(250);
  });

  it('refuses judge: false on a metric the judge compares anyway', () => {
    const doc = canary();
    doc.spec.analysis.judge = {};
    doc.spec.analysis.metrics = [{ name: 'request-success-rate', thresholdRange: { min: 99 }, judge: false }];
    expect(errorsOf(doc)).toEqual([
      'spec.analysis.metrics[0].judge: the judge always compares 5xx (spec.analysis.judge is set); remove spec.analysis.judge and every judge: true to turn it off',
    ]);
  });

  it("reads the counts from a judged metric's MetricTemplate, one template for all of them", () => {
    const doc = canary();
    doc.spec.provider = 'contour';
    doc.spec.analysis.metrics = [
      { name: 'app-errors', templateRef: { name: 'counts' }, thresholdRange: { max: 1 }, judge: true },
    ];
    // Contour (not a Fledge router yet) has no builtin count queries: the template's stand in for them.
    expect(errorsOf(doc).filter((e) => !e.startsWith('spec.provider:'))).toEqual([]);
    doc.spec.provider = 'istio';
    expect(judgedTemplateMetric(doc.spec as Canary['spec'])?.name).toBe('app-errors');
    doc.spec.analysis.judge = {};
    doc.spec.analysis.metrics.push({
      name: 'request-success-rate',
      templateRef: { name: 'other-counts' },
      thresholdRange: { min: 99 },
    });
    expect(errorsOf(doc)).toEqual([
      "spec.analysis.metrics[1].templateRef: the judge reads all its counts from one MetricTemplate's spec.countQueries: spec.analysis.metrics[0] names test/counts, this metric test/other-counts",
    ]);
    doc.spec.analysis.metrics[1]!.templateRef = { name: 'counts' };
    expect(errorsOf(doc)).toEqual([]);
  });

  it('reads the builtin count queries when no judged metric has a templateRef', () => {
    const doc = canary();
    doc.spec.analysis.judge = {};
    // request-duration is not judged without latency: its template does not count.
    doc.spec.analysis.metrics = [
      { name: 'request-success-rate', thresholdRange: { min: 99 } },
      { name: 'request-duration', templateRef: { name: 'latency' }, thresholdRange: { max: 500 } },
    ];
    expect(errorsOf(doc)).toEqual([]);
    expect(judgedTemplateMetric(doc.spec as Canary['spec'])).toBeUndefined();
  });

  it('refuses a provider without builtin count queries, listing those that have them', () => {
    const doc = canary();
    doc.spec.analysis.judge = {};
    doc.spec.provider = 'contour';
    expect(errorsOf(doc)).toContain(
      'spec.analysis.judge: spec.provider "contour" has no builtin count queries for the judge; the providers that have them: istio, linkerd, kubernetes, gatewayapi:v1, gatewayapi:v1beta1, nginx',
    );
    doc.spec.provider = 'smi:v1alpha2:linkerd';
    expect(errorsOf(doc).filter((e) => e.startsWith('spec.analysis.judge'))).toEqual([]);
  });
});
