/**
 * Credentials from a client-node `KubeConfig` (a kubeconfig file, `kubectl proxy`): tokens, client
 * certificates, basic auth, exec plugins and OIDC as client-node resolves them, again for every
 * request so that rotated tokens are picked up. Imports client-node's types only: whoever built
 * the `KubeConfig` has loaded client-node already.
 */
import type { Agent } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeCredentials, RequestAuth } from './credentials.js';

export class KubeConfigCredentials implements KubeCredentials {
  readonly server: string;

  /**
   * @param source where the kubeconfig came from, for messages
   * @throws Error when the current context names no cluster with a server
   */
  constructor(
    private readonly kubeConfig: KubeConfig,
    readonly source = 'kubeconfig',
  ) {
    const server = kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error('kubeConfig: the current context names no cluster with a server');
    this.server = server;
  }

  async authorize(): Promise<RequestAuth> {
    const options: RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {}))
      if (value !== undefined) headers[name] = String(value);
    if (options.auth) headers['Authorization'] = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    return {
      headers,
      tls: {
        ca: options.ca as string | Buffer | undefined,
        cert: options.cert as string | Buffer | undefined,
        key: options.key as string | Buffer | undefined,
        pfx: options.pfx as string | Buffer | undefined,
        passphrase: options.passphrase,
        rejectUnauthorized: options.rejectUnauthorized,
        servername: options.servername,
      },
      agent: ownAgent(options.agent),
    };
  }

  /** client-node caches exec and OIDC tokens until their own expiry; there is nothing to drop here. */
  refresh(): boolean {
    return false;
  }
}

/**
 * client-node hands out one plain https agent per cluster and user, without keep-alive: the
 * transport replaces those by its own keep-alive agent built from the TLS material. Proxy agents
 * (subclasses) and the plain-http agent of a loopback server are used as client-node made them.
 */
function ownAgent(given: unknown): Agent | undefined {
  if (given instanceof HttpsAgent && given.constructor === HttpsAgent) return undefined;
  return given instanceof Object ? (given as Agent) : undefined;
}
