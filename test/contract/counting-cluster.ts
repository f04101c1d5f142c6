/** A {@link Cluster} that counts the writes made through it, for the contract suites. */
import type { Cluster } from '../../src/kube/cluster.js';

/** The writing verbs of a {@link Cluster}. */
export type WriteVerb = 'create' | 'replace' | 'patch' | 'patchStatus' | 'delete';

/** `cluster` with its writes counted, in all and by verb. */
export function countingCluster(cluster: Cluster): {
  cluster: Cluster;
  writes: () => number;
  byVerb: () => Record<WriteVerb, number>;
} {
  const counts: Record<WriteVerb, number> = { create: 0, replace: 0, patch: 0, patchStatus: 0, delete: 0 };
  const counted =
    <A extends unknown[], R>(verb: WriteVerb, f: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      counts[verb]++;
      return f(...args);
    };
  const wrapped: Cluster = {
    get: (key) => cluster.get(key),
    getFull: (key) => cluster.getFull(key),
    list: (key, labels) => cluster.list(key, labels),
    create: counted('create', (object) => cluster.create(object)),
    replace: counted('replace', (object) => cluster.replace(object)),
    patch: counted('patch', (key, patch, options) => cluster.patch(key, patch, options)),
    patchStatus: counted('patchStatus', (key, status, options) => cluster.patchStatus(key, status, options)),
    delete: counted('delete', (key, options) => cluster.delete(key, options)),
    watch: (key, onEvent) => cluster.watch(key, onEvent),
  };
  return {
    cluster: wrapped,
    writes: () => Object.values(counts).reduce((a, b) => a + b, 0),
    byVerb: () => ({ ...counts }),
  };
}
