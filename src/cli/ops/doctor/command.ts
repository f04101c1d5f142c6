/**
 * `fledge doctor [NAME]`: checks one canary, or every canary of the namespace (`-A`: of the
 * cluster), the way the mesh runbooks do by hand. Read-only: it writes nothing to the cluster,
 * posts no alert and opens no gate. Exits 1 when a finding of error severity is found.
 */
import type { Command } from 'commander';
import { createMetricProviderFactory } from '../../../../analysis/providers/factory.js';
import { secretReader } from '../../wiring.js';
import { printObjects, runVerb, withClusterFlags, type ClusterFlags } from '../connection.js';
import { readCanaries } from '../reads.js';
import { doctorCanary } from './doctor.js';
import { hasErrors, type DoctorReport } from './finding.js';
import { renderReport } from './render.js';

interface DoctorFlags extends ClusterFlags {
  metricsServer: string;
  meshProvider: string;
  istioRootNamespace: string;
}

/** Registers `fledge doctor` on the program. */
export function registerDoctorCommand(program: Command): void {
  withClusterFlags(
    program
      .command('doctor')
      .description(
        'troubleshoot canaries: sidecar injection, mTLS, routing, metric queries, webhooks and alert providers (read-only)',
      )
      .argument('[name]', 'one canary (default: every canary of the namespace)')
      .option(
        '--metrics-server <url>',
        'Prometheus address for Canaries without spec.metricsServer, as the controller flag',
        'http://prometheus:9090',
      )
      .option(
        '--mesh-provider <provider>',
        'provider for Canaries without spec.provider, as the controller flag',
        'istio',
      )
      .option(
        '--istio-root-namespace <namespace>',
        "Istio's root namespace (mesh-wide PeerAuthentication)",
        'istio-system',
      ),
    { listing: true },
  ).action((name: string | undefined, flags: DoctorFlags) =>
    runVerb('doctor', flags, async ({ cluster, namespace }) => {
      const canaries = await readCanaries(cluster, namespace, name, flags.allNamespaces === true);
      const providerFor = createMetricProviderFactory({ readSecret: secretReader(cluster) });
      const reports: DoctorReport[] = [];
      for (const canary of canaries) {
        const resolve = { defaultProvider: flags.meshProvider, defaultMetricsServer: flags.metricsServer };
        const deps = { cluster, providerFor, istioRootNamespace: flags.istioRootNamespace };
        reports.push(await doctorCanary(canary, resolve, deps));
      }
      if (flags.output === 'json' || flags.output === 'yaml') {
        process.stdout.write(`${printObjects(reports, flags.output, name === undefined)}\n`);
      } else if (reports.length === 0) {
        process.stderr.write(
          `No canaries found${flags.allNamespaces ? '' : ` in namespace ${namespace}`}.\n`,
        );
      } else {
        process.stdout.write(`${reports.map(renderReport).join('\n\n')}\n`);
      }
      return reports.some(hasErrors) ? 1 : 0;
    }),
  );
}
