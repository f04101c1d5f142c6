/**
 * The harness's load tester (`harness/load-tester.ts`) over an in-memory cluster, with the
 * `kubernetes` provider: nothing is sent before a webhook reaches it; then its requests follow the
 * canary Service's selector, are reported in the HTTP observer's series of the pod that answered,
 * and stay out of the users' traffic record.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryCluster } from '../../src/kube/memory/memory-cluster.js';
import { API, type Service } from '../../src/kube/resources.js';
import { podName } from './harness/destinations.js';
import { startTrafficHarness, type TrafficHarness } from './harness/traffic-harness.js';

const NS = 'test';
const APEX = 'podinfo';

function service(name: string, app: string): Service {
  return {
    ...API.service,
    metadata: { name, namespace: NS },
    spec: { selector: { app }, ports: [{ port: 9898 }] },
  };
}

describe('load tester', () => {
  let harness: TrafficHarness | undefined;

  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('sends to the canary Service once a webhook arrives, and only there', async () => {
    const cluster = new MemoryCluster();
    await cluster.create(service(APEX, `${APEX}-primary`));
    await cluster.create(service(`${APEX}-canary`, APEX));
    harness = await startTrafficHarness({
      cluster,
      namespace: NS,
      apex: APEX,
      provider: 'kubernetes',
      requestsPerSecond: 50,
      loadTester: { requestsPerSecond: 50 },
    });
    const loadTester = harness.loadTester!;
    await sleep(300);
    expect(loadTester.started).toBe(false);
    expect(loadTester.mesh.loadStats().sent).toBe(0);

    const call = (): Promise<Response> =>
      fetch(loadTester.url, { method: 'POST', body: JSON.stringify({ name: APEX, namespace: NS }) });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    expect(loadTester.calls).toBe(2);
    expect(loadTester.started).toBe(true);
    await harness.loadTester!.mesh.waitForRoutes(() => true, 5_000);
    const deadline = Date.now() + 10_000;
    while (loadTester.mesh.count('other', APEX) < 20 && Date.now() < deadline) await sleep(100);

    expect(loadTester.mesh.count('other', APEX)).toBeGreaterThanOrEqual(20);
    expect(loadTester.mesh.count('other', `${APEX}-primary`)).toBe(0);
    // The users stay on the apex Service's pods: the primary's.
    expect(harness.mesh.count('other', APEX)).toBe(0);
    expect(harness.mesh.count('other', `${APEX}-primary`)).toBeGreaterThan(0);
    const text = await harness.metrics.metrics();
    expect(text).toMatch(
      new RegExp(
        `http_request_duration_seconds_count\\{[^}]*kubernetes_pod_name="${podName(APEX)}"[^}]*\\} [1-9]`,
      ),
    );
  }, 30_000);
});
