/**
 * The in-cluster service account, as the chart runs the controller: `KUBERNETES_SERVICE_HOST` and
 * `KUBERNETES_SERVICE_PORT`, the mounted token and CA. Reads files only, so that the controller's
 * start-up path never loads client-node (about 90 MB of RSS for its generated models and undici).
 *
 * Bound service-account tokens expire (an hour by default) and the kubelet rewrites the file well
 * before; like client-go, the token is read again once a minute, and at once after a 401.
 */
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import type { KubeCredentials, RequestAuth } from './credentials.js';
import { KubeConfigError } from './config-source.js';

/** Where the in-cluster service account is mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Where the in-cluster service account's token is mounted. */
export const SERVICE_ACCOUNT_TOKEN_PATH = `${SERVICE_ACCOUNT_DIR}/token`;
/** The CA bundle the API server's certificate is checked against. */
export const SERVICE_ACCOUNT_CA_PATH = `${SERVICE_ACCOUNT_DIR}/ca.crt`;
/** The pod's namespace. */
export const SERVICE_ACCOUNT_NAMESPACE_PATH = `${SERVICE_ACCOUNT_DIR}/namespace`;

/** client-go's period for re-reading a token file. */
export const TOKEN_RELOAD_MS = 60_000;

export interface InClusterCredentialsOptions {
  /** Read for `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Prepended to the service-account paths (for tests); defaults to none. */
  pathPrefix?: string;
  /** Monotonic clock in milliseconds; defaults to `performance.now`. */
  now?: () => number;
  /** How long a token read is used before it is read again (default {@link TOKEN_RELOAD_MS}). */
  tokenReloadMs?: number;
}

interface Material {
  token: string;
  ca: Buffer;
  readAtMs: number;
}

export class InClusterCredentials implements KubeCredentials {
  readonly server: string;
  readonly source = 'in-cluster service account';
  /** The pod's namespace, when the service account's `namespace` file is mounted. */
  readonly namespace: string | undefined;
  private readonly now: () => number;
  private readonly reloadMs: number;
  private readonly prefix: string;
  private material: Material;

  /** @throws KubeConfigError naming the variable or file that is missing or empty */
  constructor(o: InClusterCredentialsOptions = {}) {
    const env = o.env ?? process.env;
    const host = env['KUBERNETES_SERVICE_HOST'];
    const port = env['KUBERNETES_SERVICE_PORT'];
    if (!host) throw new KubeConfigError(`${this.source}: KUBERNETES_SERVICE_HOST is not set`);
    if (!port || !/^\d+$/.test(port))
      throw new KubeConfigError(
        `${this.source}: KUBERNETES_SERVICE_PORT must be a port number, got ${JSON.stringify(port ?? '')}`,
      );
    if (o.tokenReloadMs !== undefined && !(o.tokenReloadMs > 0))
      throw new Error(`tokenReloadMs: must be > 0, got ${o.tokenReloadMs}`);
    // As client-go's InClusterConfig: always https, IPv6 addresses in brackets.
    this.server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
    this.now = o.now ?? (() => performance.now());
    this.reloadMs = o.tokenReloadMs ?? TOKEN_RELOAD_MS;
    this.prefix = o.pathPrefix ?? '';
    this.material = this.read();
    this.namespace = readOptional(`${this.prefix}${SERVICE_ACCOUNT_NAMESPACE_PATH}`);
  }

  async authorize(): Promise<RequestAuth> {
    if (this.now() - this.material.readAtMs >= this.reloadMs) {
      try {
        this.material = this.read();
      } catch {
        // The kubelet replaces the file atomically, so a failed read is transient: the token in
        // hand is still valid for a while (it is renewed at 80% of its life); try again next time.
        this.material = { ...this.material, readAtMs: this.now() };
      }
    }
    return {
      headers: { Authorization: `Bearer ${this.material.token}` },
      tls: { ca: this.material.ca },
    };
  }

  refresh(): boolean {
    this.material = { ...this.material, readAtMs: -Infinity };
    return true;
  }

  private read(): Material {
    const tokenPath = `${this.prefix}${SERVICE_ACCOUNT_TOKEN_PATH}`;
    const caPath = `${this.prefix}${SERVICE_ACCOUNT_CA_PATH}`;
    const token = readRequired(tokenPath, 'token').toString('utf8').trim();
    if (token === '') throw new KubeConfigError(`${this.source}: token file ${tokenPath} is empty`);
    return { token, ca: readRequired(caPath, 'CA bundle'), readAtMs: this.now() };
  }
}

function readRequired(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new KubeConfigError(
      `in-cluster service account: cannot read its ${what} ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
