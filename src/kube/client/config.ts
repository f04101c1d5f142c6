/**
 * Finds the cluster to talk to, in the order Kubernetes controllers use: an explicit kubeconfig
 * path, then `$KUBECONFIG`, then the in-cluster service account, then `~/.kube/config`. Never falls
 * back silently to an unauthenticated localhost server.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** Where the in-cluster service account's token is mounted. */
export const SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

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

function loadFile(kubeConfig: KubeConfig, path: string, origin: string): string {
  try {
    kubeConfig.loadFromFile(path);
  } catch (err) {
    throw new KubeConfigError(`${origin} ${path}: ${(err as Error).message}`, { cause: err });
  }
  return `${origin} ${path}`;
}

/**
 * Loads the kubeconfig Fledge should use.
 * @throws KubeConfigError naming the source when it cannot be read or has no current cluster
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  const kubeConfig = new KubeConfig();
  const prefix = options.inClusterPathPrefix ?? '';
  const homeConfig = join(options.homeDir ?? homedir(), '.kube', 'config');
  const fromEnv = env['KUBECONFIG']?.split(process.platform === 'win32' ? ';' : ':').find((p) => p !== '');
  let source: string;
  if (options.kubeconfigPath) {
    source = loadFile(kubeConfig, options.kubeconfigPath, 'kubeconfig');
  } else if (fromEnv) {
    source = loadFile(kubeConfig, fromEnv, 'KUBECONFIG');
  } else if (env['KUBERNETES_SERVICE_HOST'] && existsSync(`${prefix}${SERVICE_ACCOUNT_TOKEN_PATH}`)) {
    kubeConfig.loadFromCluster(prefix);
    source = 'in-cluster service account';
  } else if (existsSync(homeConfig)) {
    source = loadFile(kubeConfig, homeConfig, 'kubeconfig');
  } else {
    throw new KubeConfigError(
      `no kubeconfig: pass --kubeconfig, set KUBECONFIG, create ${homeConfig}, or run in a pod with a service account`,
    );
  }
  if (options.context !== undefined) {
    if (!kubeConfig.getContextObject(options.context)) {
      const known = kubeConfig.getContexts().map((c) => c.name);
      throw new KubeConfigError(
        `${source}: no context ${JSON.stringify(options.context)} (contexts: ${known.join(', ') || 'none'})`,
      );
    }
    kubeConfig.setCurrentContext(options.context);
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster?.server) {
    throw new KubeConfigError(
      `${source}: current-context ${JSON.stringify(kubeConfig.getCurrentContext())} names no cluster with a server`,
    );
  }
  return kubeConfig;
}

/** The namespace the kubeconfig's current context names, as kubectl defaults to it. */
export function contextNamespace(kubeConfig: KubeConfig): string | undefined {
  return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace || undefined;
}

export interface ServerConfigOptions {
  /** API server address; `http://` only for loopback helpers such as `kubectl proxy`. */
  server: string;
  /** Bearer token, if the server wants one. */
  token?: string;
}

/**
 * A KubeConfig for a server reached without a kubeconfig file, e.g. `kubectl proxy` at
 * `http://127.0.0.1:8001`, which adds the credentials itself. Plain HTTP is allowed for loopback
 * addresses only.
 */
export function kubeConfigForServer(options: ServerConfigOptions): KubeConfig {
  const url = new URL(options.server);
  const plain = url.protocol === 'http:';
  if (plain && !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
    throw new KubeConfigError(`server: plain http is only allowed on loopback, got ${options.server}`);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'server', server: options.server, skipTLSVerify: plain }],
    users: [{ name: 'user', ...(options.token ? { token: options.token } : {}) }],
    contexts: [{ name: 'server', cluster: 'server', user: 'user' }],
    currentContext: 'server',
  });
  return kubeConfig;
}
