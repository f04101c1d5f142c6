/** The built-in approval gate (`fledgeApproval`) and webhook addresses: validation messages. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { formatFieldError, validateDocument } from '../../../src/api/validate.js';
import { API_VERSION } from '../../../src/api/schema/common.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function withHook(hook: Record<string, unknown>): Doc {
  const doc = parse(readFileSync(join(ROOT, 'test/fixtures/flagger/podinfo.yaml'), 'utf8')) as Doc;
  doc.apiVersion = API_VERSION;
  doc.spec.analysis.webhooks = [hook];
  return doc;
}

const errorsOf = (doc: unknown): string[] => validateDocument(doc).map(formatFieldError);

describe('webhooks: url or fledgeApproval', () => {
  it.each(['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion'])(
    'accepts the built-in approval on %s',
    (type) => {
      expect(errorsOf(withHook({ name: 'approve', type, fledgeApproval: true }))).toEqual([]);
    },
  );

  it('keeps Flagger load-tester gate URLs valid', () => {
    const hook = {
      name: 'gate',
      type: 'confirm-promotion',
      url: 'http://flagger-loadtester.test/gate/check',
    };
    expect(errorsOf(withHook(hook))).toEqual([]);
  });

  it('refuses both a url and the built-in approval, naming the field', () => {
    const hook = { name: 'a', type: 'confirm-promotion', url: 'http://x.test/gate', fledgeApproval: true };
    expect(errorsOf(withHook(hook))).toEqual([
      'spec.analysis.webhooks[0].fledgeApproval: a webhook has either a url or fledgeApproval: true, not both; remove one',
    ]);
  });

  it('refuses the built-in approval on a type that is not a gate, the default type included', () => {
    expect(errorsOf(withHook({ name: 'a', type: 'rollback', fledgeApproval: true }))).toEqual([
      'spec.analysis.webhooks[0].fledgeApproval: only gates can wait for an approval (type confirm-rollout, confirm-traffic-increase, confirm-promotion), this webhook has type rollback',
    ]);
    expect(errorsOf(withHook({ name: 'a', fledgeApproval: true }))[0]).toMatch(
      /has type rollout \(the default\)$/,
    );
  });

  it('refuses a webhook with neither', () => {
    expect(errorsOf(withHook({ name: 'a', type: 'confirm-promotion' }))).toEqual([
      'spec.analysis.webhooks[0].url: required (or fledgeApproval: true on a confirm-* webhook)',
    ]);
    expect(errorsOf(withHook({ name: 'a', type: 'rollout', fledgeApproval: false }))).toEqual([
      'spec.analysis.webhooks[0].url: required (or fledgeApproval: true on a confirm-* webhook)',
    ]);
  });
});
