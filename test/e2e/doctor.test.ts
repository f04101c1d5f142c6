/**
 * End-to-end: `fledge doctor` on canaries `fledge controller` has initialized and is rolling out
 * (pods in the mesh, the split the controller wrote, metrics with traffic).
 *
 * - `doctor`: no finding, exit 0. Then the VirtualService is edited by hand while the canary is
 *   paused (so that no tick restores it): doctor names the split that differs from the status,
 *   exit 1; after resume the controller restores the split and doctor is satisfied again.
 * - `doctor-faults`: a canary broken in ways the controller does not repair, held at its promotion
 *   gate: the new revision's pod template without `istio-proxy` (the primary's pods keep theirs),
 *   `spec.service.trafficPolicy.tls.mode: DISABLE` under a namespace-wide STRICT PeerAuthentication,
 *   a second VirtualService on the canary's host, `spec.service.gateways` naming a Gateway that does
 *   not exist, and a confirm-promotion gate at an address nobody answers (which is also what holds
 *   the canary at the gate). Doctor reports the findings of these faults and no other, exit 1.
 */
import type { DoctorReport, Pod } from '../../src/cli/ops/doctor/finding.js';
import type { KubeObject } from '../../src/kube/cluster.js';
import { API, objectKey } from '../../src/kube/resources.js';
import type { VirtualService } from '../../src/routers/istio-objects.js';
import { controllerSuite, phaseTimer } from './support/controller-suite.js';
import { fledgeCli } from './support/fledge-cli.js';
import { APP, APPROVAL_GATED, canaryManifest } from './support/scenario.js';

const suite = controllerSuite('fledge-e2e-doctor');
const scenario = suite.scenario.bind(suite);

const fledge = fledgeCli(suite);

suite.test(
  'fledge doctor finds nothing wrong with a progressing canary, then the split edited by hand',
  async () => {
    const done = phaseTimer('doctor');
    const s = scenario('doctor', {
      sidecar: true,
      canary: (ns, prom) => canaryManifest(ns, prom, APPROVAL_GATED),
    });
    await s.start();
    await s.waitForPhase(['Initialized']);
    await s.setImage('podinfo:2');
    await s.waitForPhase(['WaitingPromotion']);

    const healthy = await fledge(['doctor', APP], s.namespace);
    process.stdout.write(`fledge doctor ${APP} -n ${s.namespace}:\n${healthy.stdout}\n`);
    expect(healthy).toMatchObject({ code: 0, stderr: '' });
    expect(healthy.stdout).toContain(`Canary ${s.namespace}/${APP}: no findings`);
    expect(healthy.stdout).toMatch(/pass {2}request-success-rate {2}\d/);

    // Paused through the API (fledge pause is the e2e verbs' subject): one CLI process fewer.
    const canaryKey = objectKey(API.canary, s.namespace, APP);
    await s.kube.patch(canaryKey, { spec: { suspend: true } });
    // A tick that read the Canary before the pause may still write its split: let it land first.
    await new Promise((r) => setTimeout(r, 2_000));
    const key = objectKey(API.virtualService, s.namespace, APP);
    const vs = (await s.kube.get<VirtualService>(key))!;
    const http = (vs.spec?.http ?? []).map((route, i) =>
      i === 0 ? { ...route, route: (route.route ?? []).map((d) => ({ ...d, weight: 50 })) } : route,
    );
    await s.kube.patch(key, { spec: { http } });
    await s.waitFor('the hand-made split recorded', async () =>
      s.weights.at(-1) === '50/50' ? true : undefined,
    );

    const broken = await fledge(['doctor', APP, '-o', 'json'], s.namespace);
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.stdout) as DoctorReport;
    expect(report.findings.map((f) => [f.severity, f.area, f.object])).toEqual([
      ['error', 'routing', `VirtualService ${s.namespace}/${APP}`],
    ]);
    expect(report.findings[0]?.saw).toBe(
      'routes primary 50% / canary 50%, but the canary is WaitingPromotion at canary weight 20, which means primary 80% / canary 20%',
    );

    await s.kube.patch(canaryKey, { spec: { suspend: null } });
    await s.waitFor('the controller restoring 80/20', async () =>
      s.weights.at(-1) === '80/20' ? true : undefined,
    );
    expect((await fledge(['doctor', APP], s.namespace)).code).toBe(0);
    done();
  },
  // Three doctor processes: each takes seconds, tens of seconds on a loaded machine.
  300_000,
);

/** Nobody listens on port 1: the gate is never opened, and doctor's probe is refused. */
const UNANSWERED_GATE = 'http://127.0.0.1:1/approve';

suite.test(
  'fledge doctor names each fault the controller does not repair: sidecar, mTLS, routing, webhook',
  async () => {
    const done = phaseTimer('doctor-faults');
    const s = scenario('doctor-faults', {
      sidecar: true,
      canary: (ns, prom) => {
        const manifest = canaryManifest(ns, prom, {
          stepWeight: 10,
          maxWeight: 20,
          webhooks: [{ name: 'approve', type: 'confirm-promotion', url: UNANSWERED_GATE }],
        });
        return {
          ...manifest,
          spec: {
            ...manifest.spec,
            // `mesh` too: the harness plays the mesh, and the second VirtualService claims the host there.
            service: {
              ...manifest.spec.service,
              gateways: ['public-gateway', 'mesh'],
              trafficPolicy: { tls: { mode: 'DISABLE' } },
            },
          },
        };
      },
    });
    await s.start();
    const ns = s.namespace;
    await s.kube.create({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: ns },
      spec: { mtls: { mode: 'STRICT' } },
    } as KubeObject);
    await s.kube.create({
      ...API.virtualService,
      metadata: { name: `${APP}-legacy`, namespace: ns },
      spec: { hosts: [APP], http: [{ route: [{ destination: { host: APP } }] }] },
    } as KubeObject);
    await s.waitForPhase(['Initialized']);
    // The new revision's template without the proxy (a merge patch replaces the whole list): the
    // primary, copied from the first revision, keeps its istio-proxy.
    const app = (await s.deployment(APP))!.spec.template.spec.containers[0]!;
    await s.kube.patch(objectKey(API.deployment, ns, APP), {
      spec: { template: { spec: { containers: [{ ...app, image: 'podinfo:2' }] } } },
    });
    await s.waitForPhase(['WaitingPromotion']);
    // One canary pod, of the new revision: a pod of the first one may still be going away.
    const canaryPod = await s.waitFor('one canary pod, without istio-proxy', async () => {
      const pods = (await s.kube.list<Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ns })).filter(
        (p) => p.metadata.labels?.['app'] === APP,
      );
      const only = pods.length === 1 ? pods[0] : undefined;
      return only && !only.spec.containers.some((c) => c.name === 'istio-proxy') ? only : undefined;
    });

    const run = await fledge(['doctor', APP, '-o', 'json'], ns);
    process.stdout.write(`fledge doctor ${APP} -n ${ns} -o json:\n${run.stdout}\n`);
    expect(run).toMatchObject({ code: 1, stderr: '' });
    const report = JSON.parse(run.stdout) as DoctorReport;
    expect(report.findings.map((f) => [f.severity, f.area, f.object])).toEqual([
      ['error', 'sidecar', `Pod ${ns}/${canaryPod.metadata.name}`],
      ['error', 'mtls', `DestinationRule ${ns}/${APP}-primary`],
      ['error', 'mtls', `DestinationRule ${ns}/${APP}-canary`],
      ['error', 'routing', `VirtualService ${ns}/${APP}-legacy`],
      ['error', 'routing', `VirtualService ${ns}/${APP}`],
      ['error', 'webhooks', `Canary ${ns}/${APP}`],
    ]);
    const [sidecar, mtlsPrimary, mtlsCanary, host, gateway, webhook] = report.findings.map((f) => f.saw);
    expect(sidecar).toMatch(
      /^canary pod created \S+ has no istio-proxy, although pods created earlier have one: the injector did not run for it$/,
    );
    for (const [saw, role] of [
      [mtlsPrimary, 'primary'],
      [mtlsCanary, 'canary'],
    ] as const) {
      expect(saw).toBe(
        `sets tls.mode DISABLE while PeerAuthentication ${ns}/default (namespace scope) makes the ${role} pods accept only mutual TLS: every request through it fails`,
      );
    }
    expect(host).toBe(
      `claims host ${APP}.${ns}.svc.cluster.local on mesh, as VirtualService ${ns}/${APP} does: Istio uses one of them and the split may never apply`,
    );
    expect(gateway).toBe(
      `binds to Gateway ${ns}/public-gateway, which does not exist: traffic through it is not routed`,
    );
    expect(webhook).toMatch(
      /^webhook approve \(confirm-promotion\) at http:\/\/127\.0\.0\.1:1\/approve is unreachable: .*ECONNREFUSED/,
    );
    // The metrics are sound (traffic reaches both versions): none of the findings is about them.
    expect(report.metrics.map((m) => [m.metric, m.passed])).toEqual([
      ['request-success-rate', true],
      ['request-duration', true],
    ]);
    done();
  },
  // One doctor process; the rollout to the gate takes a few ticks of 2 s.
  240_000,
);
