/**
 * Which credentials to use, in the order Kubernetes controllers look for them: an explicit
 * kubeconfig path, then `$KUBECONFIG`, then the in-cluster service account, then `~/.kube/config`.
 * Never falls back silently to an unauthenticated localhost server. Imports nothing heavy: the
 * in-cluster path must not load client-node.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_ACCOUNT_TOKEN_PATH } from './in-cluster-credentials.js';

export interface LoadKubeConfigOptions {
  /** A kubeconfig file to use instead of the search. */
  kubeconfigPath?: string;
  /** Environment to read `KUBECONFIG` and `KUBERNETES_SERVICE_HOST` from; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Home directory for `~/.kube/config`; defaults to `os.homedir()`. */
  homeDir?: string;
  /** Prepended to the service-account paths (for tests); defaults to none. */
  inClusterPathPrefix?: string;
  /** A context of the kubeconfig to use instead of its current-context (`--context`). */
  context?: string;
}

/** No usable kubeconfig was found, or the one found names no current cluster. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

/** Where the credentials come from; `origin` says how the file was found, for messages. */
export type ConfigSource =
  { kind: 'file'; path: string; origin: 'kubeconfig' | 'KUBECONFIG' } | { kind: 'in-cluster' };

/**
 * Finds where the credentials come from, without reading them.
 * @throws KubeConfigError when there is none
 */
export function findConfigSource(options: LoadKubeConfigOptions = {}): ConfigSource {
  const env = options.env ?? process.env;
  const prefix = options.inClusterPathPrefix ?? '';
  const homeConfig = join(options.homeDir ?? homedir(), '.kube', 'config');
  const fromEnv = env['KUBECONFIG']?.split(process.platform === 'win32' ? ';' : ':').find((p) => p !== '');
  if (options.kubeconfigPath) return { kind: 'file', path: options.kubeconfigPath, origin: 'kubeconfig' };
  if (fromEnv) return { kind: 'file', path: fromEnv, origin: 'KUBECONFIG' };
  if (env['KUBERNETES_SERVICE_HOST'] && existsSync(`${prefix}${SERVICE_ACCOUNT_TOKEN_PATH}`))
    return { kind: 'in-cluster' };
  if (existsSync(homeConfig)) return { kind: 'file', path: homeConfig, origin: 'kubeconfig' };
  throw new KubeConfigError(
    `no kubeconfig: pass --kubeconfig, set KUBECONFIG, create ${homeConfig}, or run in a pod with a service account`,
  );
}
