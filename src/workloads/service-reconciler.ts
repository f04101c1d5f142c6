/**
 * The services in front of the two versions: created owned by the Canary, or an existing one brought
 * in line (selector, ports, and for services the Canary controls or adopts, labels, annotations and
 * the owner reference). Called by `deployment-controller.ts` after every object's ownership is checked.
 */
import type { ResolvedCanary } from '../api/defaults.js';
import type { Cluster, MergePatch } from '../kube/cluster.js';
import { standingOf, withCanaryOwner } from '../kube/owner-references.js';
import { API, objectKey, type Service } from '../kube/resources.js';
import { normalizePorts, withNodePorts, type DesiredService } from './desired-objects.js';
import { calculateMergePatch } from './merge-patch.js';

/**
 * Creates a service owned by the Canary, or brings an existing one's selector and ports in line.
 * Labels and annotations are added only to services the Canary controls or adopts (from an earlier
 * Canary of the same name, Fledge's or Flagger's: its owner reference is swapped in the same
 * write, so the service, and its ClusterIP, outlive the old Canary). A service the user made keeps
 * its metadata and gets no owner reference, so deleting the Canary never deletes it.
 * @param stored the service as read before any write of this tick
 */
export async function reconcileService(
  cluster: Cluster,
  canary: ResolvedCanary,
  desired: DesiredService,
  stored: Service | undefined,
): Promise<void> {
  const key = objectKey(API.service, canary.namespace, desired.name);
  if (!stored) {
    await cluster.create<Service>({
      ...API.service,
      metadata: {
        name: desired.name,
        namespace: canary.namespace,
        labels: desired.labels,
        ...(Object.keys(desired.annotations).length > 0 ? { annotations: desired.annotations } : {}),
        ownerReferences: withCanaryOwner(undefined, canary),
      },
      spec: { type: 'ClusterIP', selector: desired.selector, ports: desired.ports },
    });
    return;
  }
  const standing = standingOf(stored, canary);
  const owned = standing !== 'unowned';
  const pick = (have: Record<string, string> | undefined, wanted: Record<string, string>) =>
    Object.fromEntries(Object.keys(wanted).map((k) => [k, have?.[k]]));
  const before = {
    selector: stored.spec.selector ?? {},
    ports: normalizePorts(stored.spec.ports),
    // Only the keys Fledge sets are compared: labels others add are left alone.
    ...(owned ? { labels: pick(stored.metadata.labels, desired.labels) } : {}),
    ...(owned ? { annotations: pick(stored.metadata.annotations, desired.annotations) } : {}),
    owners: stored.metadata.ownerReferences ?? [],
  };
  const after = {
    selector: desired.selector,
    ports: withNodePorts(desired.ports, stored.spec.ports),
    ...(owned ? { labels: desired.labels, annotations: desired.annotations } : {}),
    owners:
      standing === 'adoptable'
        ? withCanaryOwner(stored.metadata.ownerReferences, canary)
        : (stored.metadata.ownerReferences ?? []),
  };
  const diff = calculateMergePatch(before, after) as Record<string, MergePatch | undefined> | undefined;
  if (!diff) return;
  const spec = {
    ...(diff.selector ? { selector: diff.selector } : {}),
    ...(diff.ports ? { ports: after.ports } : {}),
  };
  const metadata = {
    ...(diff.labels ? { labels: diff.labels } : {}),
    ...(diff.annotations ? { annotations: diff.annotations } : {}),
    ...(diff.owners ? { ownerReferences: after.owners } : {}),
  };
  await cluster.patch(
    key,
    {
      ...(Object.keys(spec).length > 0 ? { spec } : {}),
      ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    },
    { resourceVersion: stored.metadata.resourceVersion },
  );
}
