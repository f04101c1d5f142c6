/**
 * What the transport needs to reach and authenticate to the API server, whatever the credentials
 * came from: the in-cluster service account ({@link InClusterCredentials}, no client-node) or a
 * kubeconfig file ({@link KubeConfigCredentials}, client-node's resolution of exec plugins, OIDC,
 * client certificates).
 */
import type { Agent } from 'node:http';

/** TLS material the transport's keep-alive agent is built from. */
export interface TlsMaterial {
  ca?: string | Buffer | undefined;
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  pfx?: string | Buffer | undefined;
  passphrase?: string | undefined;
  rejectUnauthorized?: boolean | undefined;
  servername?: string | undefined;
}

/** How one request is sent. */
export interface RequestAuth {
  /** Headers to add (`Authorization`, impersonation). */
  headers: Record<string, string>;
  tls: TlsMaterial;
  /** An agent the credentials need as they made it (an HTTP proxy, plain http on loopback). */
  agent?: Agent | undefined;
}

/** The API server's address and the credentials of one identity. */
export interface KubeCredentials {
  /** The API server's base address, e.g. `https://10.96.0.1:443`. */
  readonly server: string;
  /** Where they came from, for messages (`in-cluster service account`, `kubeconfig /path`). */
  readonly source: string;
  /** Resolved for each request, so that rotated tokens and certificates are picked up. */
  authorize(): Promise<RequestAuth>;
  /**
   * The server answered 401: drop what is cached so that the next {@link authorize} reads the
   * credentials again. Returns whether a retry can help (false when nothing is cached).
   */
  refresh(): boolean;
}
