/**
 * Loads a kubeconfig with client-node, for the paths that need its resolution of exec plugins,
 * OIDC and client certificates (dev machines, the operator CLI). The controller loads its
 * credentials through {@link loadCredentials}, which reaches this module only for a kubeconfig file.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { KubeConfigError, findConfigSource, type LoadKubeConfigOptions } from './config-source.js';

export { KubeConfigError, type LoadKubeConfigOptions } from './config-source.js';
export { SERVICE_ACCOUNT_TOKEN_PATH } from './in-cluster-credentials.js';

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
  const kubeConfig = new KubeConfig();
  const found = findConfigSource(options);
  let source: string;
  if (found.kind === 'file') {
    source = loadFile(kubeConfig, found.path, found.origin);
  } else {
    kubeConfig.loadFromCluster(options.inClusterPathPrefix ?? '');
    source = 'in-cluster service account';
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
