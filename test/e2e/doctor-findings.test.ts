/**
 * End-to-end: the `fledge doctor` findings that `doctor.test.ts` does not make, each on a canary
 * `fledge controller` has rolled out to its promotion gate (the built-in approval, which nobody
 * opens), broken in a way the controller does not repair:
 *
 * - `doctor-relaxed` (Istio): a workload PeerAuthentication PERMISSIVE for the canary's pods under
 *   a namespace-wide STRICT one: a warning, exit 0;
 * - `doctor-meshroot` (Istio): a namespace PeerAuthentication PERMISSIVE where the mesh root's
 *   (a namespace of the test's own, named by `--istio-root-namespace`) says STRICT: a warning;
 * - `doctor-early` (Istio): the namespace asks for injection only after the canary initialized, so
 *   the primary's pod has no proxy while the new revision's pods (the harness playing the injector
 *   through their template) have one: doctor names the primary pod as created before injection;
 * - `doctor-unattached` (Gateway API): the Canary's gatewayRefs name a Gateway that does not exist,
 *   which the controller writes into the HTTPRoute's parentRefs;
 * - `doctor-classless` (NGINX): the user's Ingress names IngressClass `nginx`, which this cluster
 *   does not have (no test creates it: the integration test's class has a name of its own).
 *
 * Not here: a DestinationRule subset whose labels match no pod. The controller owns that
 * DestinationRule and writes its subsets from the pod templates' labels at every tick, so a hand
 * edit does not last; `test/integration/doctor-findings.test.ts` makes it without a controller.
 */
import type { Canary } from '../../src/api/schema/canary.js';
import type { DoctorReport, Pod } from '../../src/cli/ops/doctor/finding.js';
import type { KubeObject } from '../../src/kube/cluster.js';
import { API, objectKey } from '../../src/kube/resources.js';
import { createNamespace, deleteNamespaceBestEffort, namespaceKey } from '../support/namespaces.js';
import { controllerSuite, phaseTimer, type ControlledScenario } from './support/controller-suite.js';
import { fledgeCli } from './support/fledge-cli.js';
import { APP, APPROVAL_GATED, canaryManifest, type ScenarioProvider } from './support/scenario.js';

const suite = controllerSuite('fledge-e2e-doctor-findings');
const scenario = suite.scenario.bind(suite);

const fledge = fledgeCli(suite);

/** A canary of `provider` that stops at its promotion gate, with `spec` fields changed by `edit`. */
function gatedCanary(
  provider: ScenarioProvider,
  edit: (spec: Canary['spec']) => Partial<Canary['spec']> = () => ({}),
): (ns: string, prom: string) => Canary {
  return (ns, prom) => {
    const manifest = canaryManifest(ns, prom, APPROVAL_GATED, provider);
    return { ...manifest, spec: { ...manifest.spec, ...edit(manifest.spec) } };
  };
}

/**
 * Starts `s`, runs `breakIt` (objects made before the first tick), sets the new revision and waits
 * for the canary at its promotion gate: both versions get traffic, the split is 80/20.
 */
async function rollToGate(s: ControlledScenario, breakIt: () => Promise<unknown> = async () => undefined) {
  await s.start();
  await breakIt();
  await s.waitForPhase(['Initialized']);
  await s.setImage('podinfo:2');
  await s.waitForPhase(['WaitingPromotion']);
}

/** `fledge doctor podinfo -o json` in `s`'s namespace: its exit code and parsed report. */
async function doctor(
  s: ControlledScenario,
  flags: string[] = [],
): Promise<{ code: number | null; report: DoctorReport }> {
  const run = await fledge(['doctor', APP, '-o', 'json', ...flags], s.namespace);
  process.stdout.write(`fledge doctor ${APP} -n ${s.namespace} -o json ${flags.join(' ')}:\n${run.stdout}\n`);
  expect(run.stderr).toBe('');
  return { code: run.code, report: JSON.parse(run.stdout) as DoctorReport };
}

const what = (report: DoctorReport) => report.findings.map((f) => [f.severity, f.area, f.object]);

function peerAuthentication(
  namespace: string,
  name: string,
  mode: string,
  selector?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name, namespace },
    spec: { ...(selector ? { selector: { matchLabels: selector } } : {}), mtls: { mode } },
  } as KubeObject;
}

/** The checks pass on the harness's traffic: no finding of a scenario is about its metrics. */
function expectSoundMetrics(report: DoctorReport): void {
  expect(report.metrics.map((m) => [m.metric, m.passed])).toEqual([
    ['request-success-rate', true],
    ['request-duration', true],
  ]);
}

// Each scenario: one doctor process and a rollout to the gate of a few 2 s ticks.
const TIMEOUT_MS = 240_000;

suite.test(
  'istio: warns of a workload PeerAuthentication PERMISSIVE for the canary pods under a STRICT namespace',
  async () => {
    const done = phaseTimer('doctor-relaxed');
    const s = scenario('doctor-relaxed', { sidecar: true, canary: gatedCanary('istio') });
    const ns = s.namespace;
    await rollToGate(s, async () => {
      await s.kube.create(peerAuthentication(ns, 'namespace-strict', 'STRICT'));
      await s.kube.create(peerAuthentication(ns, 'canary-permissive', 'PERMISSIVE', { app: APP }));
    });

    const { code, report } = await doctor(s);
    expect(code).toBe(0); // a warning: traffic flows, only less protected than meant
    expect(what(report)).toEqual([['warning', 'mtls', `PeerAuthentication ${ns}/canary-permissive`]]);
    expect(report.findings[0]?.saw).toBe(
      `sets PERMISSIVE for the canary pods (workload scope) where PeerAuthentication ${ns}/namespace-strict expects STRICT (namespace scope): they accept plain text`,
    );
    expectSoundMetrics(report);
    done();
  },
  TIMEOUT_MS,
);

suite.test(
  'istio: warns of a namespace PeerAuthentication PERMISSIVE where the mesh root expects STRICT',
  async () => {
    const done = phaseTimer('doctor-meshroot');
    const s = scenario('doctor-meshroot', { sidecar: true, canary: gatedCanary('istio') });
    // A root namespace of this scenario's own: istio-system is shared by every scenario.
    const root = `${s.namespace}-root`;
    try {
      const ns = s.namespace;
      await rollToGate(s, async () => {
        await createNamespace(s.kube, root);
        await s.kube.create(peerAuthentication(root, 'default', 'STRICT'));
        await s.kube.create(peerAuthentication(ns, 'legacy-permissive', 'PERMISSIVE'));
      });

      const { code, report } = await doctor(s, ['--istio-root-namespace', root]);
      expect(code).toBe(0);
      expect(what(report)).toEqual([['warning', 'mtls', `PeerAuthentication ${ns}/legacy-permissive`]]);
      expect(report.findings[0]?.saw).toBe(
        `sets PERMISSIVE for the primary and canary pods (namespace scope) where PeerAuthentication ${root}/default expects STRICT (mesh scope): they accept plain text`,
      );
      expectSoundMetrics(report);
    } finally {
      await deleteNamespaceBestEffort(s.kube, root);
    }
    done();
  },
  TIMEOUT_MS,
);

suite.test(
  'istio: names the primary pod created before injection was enabled, with the restart that fixes it',
  async () => {
    const done = phaseTimer('doctor-early');
    // No injection label and no proxy in the template: the primary's pod is made outside the mesh.
    const s = scenario('doctor-early', { canary: gatedCanary('istio') });
    await s.start();
    const ns = s.namespace;
    await s.waitForPhase(['Initialized']);
    // creationTimestamp counts whole seconds: the injected pods must come a second later at least.
    await new Promise((r) => setTimeout(r, 1_100));
    await s.kube.patch(namespaceKey(ns), { metadata: { labels: { 'istio-injection': 'enabled' } } });
    // No injector runs here: the new revision's template carries the proxy, as injection gives it.
    const app = (await s.deployment(APP))!.spec.template.spec.containers[0]!;
    await s.kube.patch(objectKey(API.deployment, ns, APP), {
      spec: {
        template: {
          spec: {
            containers: [
              { ...app, image: 'podinfo:2' },
              { name: 'istio-proxy', image: 'istio/proxyv2:1.22.0' },
            ],
          },
        },
      },
    });
    await s.waitForPhase(['WaitingPromotion']);
    const appPods = async (app: string) =>
      (await s.kube.list<Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ns })).filter(
        (p) => p.metadata.labels?.['app'] === app,
      );
    await s.waitFor('one canary pod, with istio-proxy', async () => {
      const pods = await appPods(APP);
      return pods.length === 1 && pods[0]!.spec.containers.some((c) => c.name === 'istio-proxy')
        ? true
        : undefined;
    });
    const [primaryPod, ...others] = await appPods(`${APP}-primary`);
    expect(others).toEqual([]);

    const { code, report } = await doctor(s);
    expect(code).toBe(1);
    expect(what(report)).toEqual([['error', 'sidecar', `Pod ${ns}/${primaryPod!.metadata.name}`]]);
    expect(report.findings[0]?.saw).toMatch(
      /^primary pod created \S+, before injection was working \(the first pod with istio-proxy in the namespace was created \S+\): it has no istio-proxy$/,
    );
    expect(report.findings[0]?.fix).toBe(
      `restart the pods so they are injected: kubectl rollout restart deployment/${APP}-primary -n ${ns}`,
    );
    expectSoundMetrics(report);
    done();
  },
  TIMEOUT_MS,
);

suite.test(
  'gatewayapi:v1: names the Gateway the HTTPRoute written by the controller attaches to, which does not exist',
  async () => {
    const done = phaseTimer('doctor-unattached');
    const s = scenario('doctor-unattached', {
      provider: 'gatewayapi:v1',
      canary: gatedCanary('gatewayapi:v1', (spec) => ({
        service: { ...spec.service, gatewayRefs: [{ name: 'missing-gateway' }] },
      })),
    });
    const ns = s.namespace;
    await rollToGate(s);

    const { code, report } = await doctor(s);
    expect(code).toBe(1);
    expect(what(report)).toEqual([['error', 'routing', `HTTPRoute ${ns}/${APP}`]]);
    expect(report.findings[0]?.saw).toBe(
      `parentRefs names Gateway ${ns}/missing-gateway, which does not exist: the route is attached to nothing and no request follows its split`,
    );
    expectSoundMetrics(report);
    done();
  },
  TIMEOUT_MS,
);

suite.test(
  "nginx: names the IngressClass the user's Ingress names, which does not exist",
  async () => {
    const done = phaseTimer('doctor-classless');
    const s = scenario('doctor-classless', { provider: 'nginx', canary: gatedCanary('nginx') });
    const ns = s.namespace;
    await rollToGate(s);

    const { code, report } = await doctor(s);
    expect(code).toBe(1);
    expect(what(report)).toEqual([['error', 'routing', `Ingress ${ns}/${APP}`]]);
    expect(report.findings[0]?.saw).toBe(
      'spec.ingressClassName names IngressClass nginx, which does not exist: no ingress controller serves this Ingress or its canary copy',
    );
    expectSoundMetrics(report);
    done();
  },
  TIMEOUT_MS,
);
