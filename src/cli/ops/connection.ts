/**
 * How the operator verbs reach the cluster: the same cluster port and kubeconfig search as the
 * controller, with kubectl's flags (`--kubeconfig`, `--context`, `-n`, `-A`, `-o`).
 */
import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { ClientNodeCluster } from '../../kube/client/client-node-cluster.js';
import { contextNamespace, loadKubeConfig } from '../../kube/client/config.js';
import type { Cluster } from '../../kube/cluster.js';

/** The flags every verb takes. */
export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  output?: OutputFormat;
}

export type OutputFormat = 'table' | 'json' | 'yaml';

/** A verb's failure: printed as `fledge VERB: message`, exit status 1. */
export class OperatorError extends Error {
  override name = 'OperatorError';
}

/** Adds kubectl's connection flags to a verb; `listing` verbs also take `-A`. */
export function withClusterFlags(command: Command, options: { listing?: boolean } = {}): Command {
  command
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', "namespace (default: the context's, else default)");
  if (options.listing) command.option('-A, --all-namespaces', 'every namespace');
  return command.addOption(
    new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'),
  );
}

/** An open connection: the cluster and the namespace the verb works in. */
export interface Connection {
  cluster: Cluster;
  /** The namespace named by `-n`, the context, or `default`. */
  namespace: string;
  close(): void;
}

/** Opens the cluster the flags name. */
export function connect(flags: ClusterFlags): Connection {
  const kubeConfig = loadKubeConfig({
    ...(flags.kubeconfig ? { kubeconfigPath: flags.kubeconfig } : {}),
    ...(flags.context ? { context: flags.context } : {}),
  });
  const cluster = new ClientNodeCluster({ kubeConfig });
  return {
    cluster,
    namespace: flags.namespace ?? contextNamespace(kubeConfig) ?? 'default',
    close: () => cluster.stop(),
  };
}

/** Prints objects as `-o json` or `-o yaml` asked; a list when there is more than one or `asList`. */
export function printObjects(objects: unknown[], format: 'json' | 'yaml', asList: boolean): string {
  const value =
    asList || objects.length !== 1 ? { apiVersion: 'v1', kind: 'List', items: objects } : objects[0];
  return format === 'json' ? JSON.stringify(value, null, 2) : stringify(value).trimEnd();
}

/**
 * Runs a verb: opens the connection, runs `body`, closes, and turns failures into a message on
 * stderr and exit status 1 (or the status `body` returns).
 */
export async function runVerb(
  verb: string,
  flags: ClusterFlags,
  body: (connection: Connection) => Promise<number | void>,
): Promise<void> {
  let connection: Connection | undefined;
  try {
    connection = connect(flags);
    const code = await body(connection);
    process.exitCode = code ?? 0;
  } catch (err) {
    process.stderr.write(`fledge ${verb}: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    connection?.close();
  }
}
