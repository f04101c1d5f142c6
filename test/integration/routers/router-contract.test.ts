/**
 * The router contract (`test/contract/router-contract.ts`) against a real kube-apiserver, for the
 * NGINX router (built-in Ingresses) and the Linkerd router (Linkerd's SMI TrafficSplit CRD). Each
 * case gets its own namespace holding a stored Canary, whose uid the subject's canary carries, so
 * the garbage collector sees a live owner of what the router creates.
 */
import { randomBytes } from 'node:crypto';
import type { Canary } from '../../../src/api/schema/canary.js';
import type { KubeObject } from '../../../src/kube/cluster.js';
import {
  countingCluster,
  describeRouterContract,
  type RouterContractEnvironment,
  type RouterContractSubject,
} from '../../contract/router-contract.js';
import { useApiServer } from '../../support/router-api-server.js';
import { createNamespace, deleteNamespace } from '../../support/namespaces.js';
import { linkerdSubject, nginxSubject, nginxUserIngress } from '../../unit/routers/contract-subjects.js';

const server = useApiServer();
const connected = () => server.cluster();
/** The uid of the stored Canary of each case's namespace. */
const storedUids = new Map<string, string>();

/** `subject` with the uid of the namespace's stored Canary, unless a case asks for another one. */
function onStoredCanary(subject: RouterContractSubject): RouterContractSubject {
  return {
    ...subject,
    canary: (namespace, variant, uid) => subject.canary(namespace, variant, uid ?? storedUids.get(namespace)),
  };
}

/** A fresh namespace with the subject's Canary stored and `seed` created; writes counted after. */
function apiServerEnvironment(
  subject: RouterContractSubject,
  seed: (namespace: string) => KubeObject[] = () => [],
) {
  return async (): Promise<RouterContractEnvironment> => {
    const namespace = `fledge-contract-${randomBytes(3).toString('hex')}`;
    const cluster = connected();
    await createNamespace(cluster, namespace);
    const base = subject.canary(namespace, 'base');
    if (!base) throw new Error(`${subject.name}: no base canary`);
    const stored = await cluster.create<Canary>({
      apiVersion: base.object.apiVersion,
      kind: base.object.kind,
      metadata: { name: base.name, namespace },
      spec: base.object.spec,
    });
    storedUids.set(namespace, stored.metadata.uid!);
    for (const object of seed(namespace)) await cluster.create(object);
    const counted = countingCluster(cluster);
    return {
      cluster: counted.cluster,
      namespace,
      writes: counted.writes,
      cleanup: async () => {
        storedUids.delete(namespace);
        await deleteNamespace(cluster, namespace);
      },
    };
  };
}

describeRouterContract(
  onStoredCanary(nginxSubject),
  apiServerEnvironment(nginxSubject, (ns) => [nginxUserIngress(ns)]),
  { collectsGarbage: true },
);
for (const provider of ['linkerd', 'smi:v1alpha2'] as const) {
  const subject = linkerdSubject(provider);
  describeRouterContract(onStoredCanary(subject), apiServerEnvironment(subject), { collectsGarbage: true });
}
