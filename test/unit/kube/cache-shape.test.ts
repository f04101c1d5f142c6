/**
 * The form the caches keep: no managedFields on any kind; ConfigMaps and Secrets reduced to
 * metadata, type and a checksum of their content, whose form is pinned (it is stored in Canary
 * status, and a new form would look like a config change to every Canary on upgrade).
 */
import { LAST_APPLIED_ANNOTATION, cacheShape, contentChecksum } from '../../../src/kube/cache-shape.js';
import type { ConfigSummary, KubeObject } from '../../../src/kube/cluster.js';
import { API, type ConfigMap, type Deployment, type Secret } from '../../../src/kube/resources.js';
import { stableHash } from '../../../src/workloads/stable-hash.js';

const managedFields = [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:data': {} } }];
const ownerReferences = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'app', uid: 'u1' }];

function secret(data: Record<string, string>): Secret {
  return {
    ...API.secret,
    metadata: {
      name: 'creds',
      namespace: 'team',
      resourceVersion: '7',
      labels: { app: 'podinfo' },
      annotations: { 'fledge.dev/config-tracking': 'disabled', [LAST_APPLIED_ANNOTATION]: '{"data":{}}' },
      ownerReferences,
      managedFields,
    } as Secret['metadata'],
    type: 'kubernetes.io/tls',
    data,
  };
}

describe('cacheShape', () => {
  it('keeps of a Secret its metadata, type and checksum, and none of its values', () => {
    const source = secret({ 'tls.key': 'c2VjcmV0' });
    const shaped = cacheShape(source) as unknown as ConfigSummary;
    const {
      managedFields: _m,
      annotations,
      ...kept
    } = source.metadata as Secret['metadata'] & {
      managedFields?: unknown;
    };
    expect(shaped).toEqual({
      ...API.secret,
      metadata: {
        ...kept,
        annotations: { 'fledge.dev/config-tracking': annotations?.['fledge.dev/config-tracking'] },
      },
      type: source.type,
      contentChecksum: contentChecksum(source),
    });
    expect(JSON.stringify(shaped)).not.toContain('c2VjcmV0');
    // The source is left as it was, and a shaped object is not shaped again.
    expect(source.data).toEqual({ 'tls.key': 'c2VjcmV0' });
    expect(cacheShape(shaped)).toBe(shaped);
  });

  it('changes the checksum when the data changes, and not when metadata does', () => {
    const a = contentChecksum(secret({ k: 'YQ==' }));
    expect(contentChecksum(secret({ k: 'Yg==' }))).not.toBe(a);
    const relabelled = secret({ k: 'YQ==' });
    relabelled.metadata.labels = { other: 'x' };
    expect(contentChecksum(relabelled)).toBe(a);
    const cm = (binaryData?: Record<string, string>): ConfigMap => ({
      ...API.configMap,
      metadata: { name: 'c' },
      data: { a: '1' },
      ...(binaryData ? { binaryData } : {}),
    });
    expect(contentChecksum(cm({ b: 'AA==' }))).not.toBe(contentChecksum(cm()));
  });

  it('computes the checksum in the form earlier versions stored in status.trackedConfigs', () => {
    const cm: ConfigMap = { ...API.configMap, metadata: { name: 'c' }, data: { level: 'info' } };
    expect(contentChecksum(cm)).toBe(stableHash({ data: { level: 'info' }, binaryData: {} }));
    expect(contentChecksum(cm)).toBe('2f92a9c42a625b83'); // sha256 of {"binaryData":{},"data":{"level":"info"}};
    const s: Secret = { ...API.secret, metadata: { name: 's' }, data: { t: 'eA==' }, stringData: { u: 'v' } };
    expect(contentChecksum(s)).toBe(stableHash({ data: { t: 'eA==' }, stringData: { u: 'v' } }));
  });

  it('drops managedFields from every other kind and keeps the rest as it is', () => {
    const deployment = {
      ...API.deployment,
      metadata: {
        name: 'app',
        namespace: 'team',
        annotations: { [LAST_APPLIED_ANNOTATION]: '{}' },
        managedFields,
      },
      spec: { replicas: 2 },
    } as unknown as Deployment;
    const shaped = cacheShape(deployment) as KubeObject & { spec: unknown };
    expect(shaped.metadata).toEqual({
      name: 'app',
      namespace: 'team',
      annotations: { [LAST_APPLIED_ANNOTATION]: '{}' },
    });
    expect(shaped.spec).toEqual({ replicas: 2 });
    const plain = { ...API.service, metadata: { name: 'svc' } };
    expect(cacheShape(plain)).toBe(plain);
  });
});
