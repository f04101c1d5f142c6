/** The pure helpers of the workload controller: config references, hashing, merge patches, owners. */
import type { PodSpec } from '../../../src/kube/resources.js';
import { findConfigRefs, rewriteConfigRefs, uniqueConfigRefs } from '../../../src/workloads/config-refs.js';
import { calculateMergePatch } from '../../../src/workloads/merge-patch.js';
import { OwnershipError, withCanaryOwner } from '../../../src/kube/owner-references.js';
import { stableHash, stableStringify } from '../../../src/workloads/stable-hash.js';

const spec: PodSpec = {
  initContainers: [{ name: 'init', envFrom: [{ configMapRef: { name: 'init-env' } }] }],
  containers: [
    {
      name: 'app',
      env: [
        { name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'a', optional: true } } },
        { name: 'B', valueFrom: { secretKeyRef: { name: 'creds', key: 'b' } } },
        { name: 'C', value: 'plain' },
      ],
    },
  ],
  volumes: [
    { name: 'v', configMap: { name: 'files' } },
    { name: 'p', projected: { sources: [{ configMap: { name: 'files' } }, { secret: { name: 'tls' } }] } },
  ],
};

describe('config references', () => {
  it('finds every reference with its field path and optionality', () => {
    expect(findConfigRefs(spec)).toEqual([
      { kind: 'configmap', name: 'files', optional: false, field: 'spec.template.spec.volumes[0].configMap' },
      {
        kind: 'configmap',
        name: 'files',
        optional: false,
        field: 'spec.template.spec.volumes[1].projected.sources[0].configMap',
      },
      {
        kind: 'secret',
        name: 'tls',
        optional: false,
        field: 'spec.template.spec.volumes[1].projected.sources[1].secret',
      },
      {
        kind: 'configmap',
        name: 'init-env',
        optional: false,
        field: 'spec.template.spec.initContainers[0].envFrom[0].configMapRef',
      },
      {
        kind: 'secret',
        name: 'creds',
        optional: true,
        field: 'spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef',
      },
      {
        kind: 'secret',
        name: 'creds',
        optional: false,
        field: 'spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef',
      },
    ]);
  });

  it('lists each object once, required when any reference requires it', () => {
    const unique = uniqueConfigRefs(findConfigRefs(spec));
    expect(unique.map((r) => `${r.kind}/${r.name}:${r.optional}`)).toEqual([
      'configmap/files:false',
      'secret/tls:false',
      'configmap/init-env:false',
      'secret/creds:false',
    ]);
  });

  it('rewrites only the copied objects, leaving the input untouched', () => {
    const rewritten = rewriteConfigRefs(
      spec,
      new Set(['configmap/files', 'secret/creds', 'configmap/init-env']),
    );
    expect(rewritten.volumes?.[0]?.configMap?.name).toBe('files-primary');
    expect(
      rewritten.volumes?.[1]?.projected?.sources?.map((s) => s.configMap?.name ?? s.secret?.name),
    ).toEqual(['files-primary', 'tls']);
    expect(rewritten.initContainers?.[0]?.envFrom?.[0]?.configMapRef?.name).toBe('init-env-primary');
    expect(rewritten.containers[0]?.env?.map((e) => e.valueFrom?.secretKeyRef?.name ?? e.value)).toEqual([
      'creds-primary',
      'creds-primary',
      'plain',
    ]);
    expect(spec.volumes?.[0]?.configMap?.name).toBe('files');
  });
});

describe('stableHash', () => {
  it('does not depend on key order, and changes with any value', () => {
    expect(stableHash({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(
      stableHash({ b: { d: 'x', c: [1, 2] }, a: 1 }),
    );
    expect(stableHash({ a: 1, b: { c: [2, 1], d: 'x' } })).not.toBe(
      stableHash({ a: 1, b: { c: [1, 2], d: 'x' } }),
    );
    expect(stableHash({ a: 1, gone: undefined })).toBe(stableHash({ a: 1 }));
  });

  it('gives the same text and hash as every release before: a new one would be a new revision of every target', () => {
    const template = {
      spec: {
        containers: [{ name: 'app', image: 'podinfo:1', env: [{ name: 'B', value: 'x' }, undefined] }],
      },
      metadata: { labels: { b: '2', a: '1', é: 'u', B: 'c', '10': 'n', '2': 'm' }, gone: undefined },
    };
    expect(stableStringify(template)).toBe(
      '{"metadata":{"labels":{"10":"n","2":"m","B":"c","a":"1","b":"2","é":"u"}},' +
        '"spec":{"containers":[{"env":[{"name":"B","value":"x"},null],"image":"podinfo:1","name":"app"}]}}',
    );
    expect(stableHash(template)).toBe('cd608e00a8fe1d8f');
  });
});

describe('calculateMergePatch', () => {
  it('sets changed keys, nulls removed ones, replaces arrays whole, and is undefined when equal', () => {
    const before = { a: 1, b: { c: 2, d: 3 }, list: [{ x: 1 }], gone: 'x' };
    const after = { a: 1, b: { c: 2, d: 4 }, list: [{ x: 1 }, { x: 2 }], added: true };
    expect(calculateMergePatch(before, after)).toEqual({
      b: { d: 4 },
      list: [{ x: 1 }, { x: 2 }],
      gone: null,
      added: true,
    });
    expect(calculateMergePatch(structuredClone(after), after)).toBeUndefined();
  });

  it('compares lists by content: key order inside items does not matter, an undefined item is null', () => {
    const ports = [{ port: 80, name: 'http', targetPort: 'http' }];
    expect(calculateMergePatch({ ports }, { ports: [{ name: 'http', targetPort: 'http', port: 80 }] })).toBe(
      undefined,
    );
    expect(calculateMergePatch({ list: [undefined, 1] }, { list: [null, 1] })).toBeUndefined();
    expect(calculateMergePatch({ list: [1, 2] }, { list: [2, 1] })).toEqual({ list: [2, 1] });
    expect(calculateMergePatch({ port: 80 }, { port: '80' })).toEqual({ port: '80' });
  });
});

describe('withCanaryOwner', () => {
  const canary = { namespace: 'test', name: 'podinfo', uid: 'new' };
  const ours = {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Canary',
    name: 'podinfo',
    uid: 'new',
    controller: true,
    blockOwnerDeletion: true,
  };

  it('replaces a reference to an earlier Canary of the same name', () => {
    expect(withCanaryOwner([{ ...ours, uid: 'old' }], canary)).toEqual([ours]);
  });

  const flagger = {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    name: 'podinfo',
    uid: 'f',
    controller: true,
    blockOwnerDeletion: true,
  };

  it("replaces the reference to Flagger's Canary of the same name (a migration)", () => {
    expect(withCanaryOwner([flagger], canary)).toEqual([ours]);
  });

  it('adds a plain reference next to another controller', () => {
    const other = { ...flagger, name: 'other' };
    expect(withCanaryOwner([other], canary)).toEqual([other, { ...ours, controller: false }]);
  });

  it('keeps references that already name this Canary', () => {
    const refs = [{ ...ours, blockOwnerDeletion: false }];
    expect(withCanaryOwner(refs, canary)).toEqual(refs);
  });

  it('refuses a Canary without uid', () => {
    expect(() => withCanaryOwner(undefined, { ...canary, uid: '' })).toThrow(OwnershipError);
  });
});
