/**
 * Loads the credentials the controller runs with. The in-cluster service account is read without
 * client-node; a kubeconfig file loads client-node (a dynamic import, so that a controller
 * running in a pod never pays for it).
 */
import { findConfigSource, type LoadKubeConfigOptions } from './config-source.js';
import type { KubeCredentials } from './credentials.js';
import { InClusterCredentials } from './in-cluster-credentials.js';

/**
 * Finds and loads the credentials, in {@link findConfigSource}'s order.
 * @throws KubeConfigError naming the source when none is found or it cannot be read
 */
export async function loadCredentials(options: LoadKubeConfigOptions = {}): Promise<KubeCredentials> {
  const found = findConfigSource(options);
  if (found.kind === 'in-cluster' && options.context === undefined) {
    return new InClusterCredentials({
      ...(options.env ? { env: options.env } : {}),
      ...(options.inClusterPathPrefix !== undefined ? { pathPrefix: options.inClusterPathPrefix } : {}),
    });
  }
  const [{ loadKubeConfig }, { KubeConfigCredentials }] = await Promise.all([
    import('./config.js'),
    import('./kubeconfig-credentials.js'),
  ]);
  const source = found.kind === 'file' ? `${found.origin} ${found.path}` : 'in-cluster service account';
  return new KubeConfigCredentials(loadKubeConfig(options), source);
}
