/** The revision a target Deployment is at, as the controller computes it (`status.lastAppliedSpec`). */
import type { Cluster } from '../kube/cluster.js';
import type { Deployment } from '../kube/resources.js';
import { readTargetConfigs, trackedConfigsOf } from './config-tracker.js';
import { calculateRevision } from './desired-objects.js';

/** Reads the configs the target references and returns its revision. */
export async function readTargetRevision(
  cluster: Cluster,
  namespace: string,
  target: Deployment,
): Promise<string> {
  const configs = await readTargetConfigs(cluster, namespace, target.spec.template.spec);
  return calculateRevision(target.spec.template, trackedConfigsOf(configs.tracked));
}
