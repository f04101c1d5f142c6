/**
 * End-to-end: `fledge doctor` on a canary `fledge controller` has initialized and is rolling out
 * (pods in the mesh, the split the controller wrote, metrics with traffic): no finding, exit 0.
 * Then the VirtualService is edited by hand while the canary is paused (so that no tick restores
 * it): doctor names the split that differs from the status, exit 1; after resume the controller
 * restores the split and doctor is satisfied again.
 */
import type { DoctorReport } from '../../src/cli/ops/doctor/finding.js';
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
