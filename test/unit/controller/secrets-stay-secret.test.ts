/**
 * Credentials planted everywhere a user can put one (a Prometheus Secret, user info and `?token=`
 * in the metrics server and webhook addresses, an alert provider's token), with every server
 * quoting the request back in its error body; then searched for in everything that reaches a
 * user: the Canary's status, its Events, the controller's log lines and the alert bodies received.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createMetricProviderFactory } from '../../../analysis/providers/factory.js';
import type { Canary } from '../../../src/api/schema/canary.js';
import { createCore, secretReader } from '../../../src/cli/wiring.js';
import { DeploymentSimulator } from '../../../src/kube/memory/deployment-simulator.js';
import { MemoryCluster } from '../../../src/kube/memory/memory-cluster.js';
import { API, objectKey, type KubeEvent } from '../../../src/kube/resources.js';
import { InProcessScheduler } from '../../../src/scheduler/in-process-scheduler.js';
import { echoHeaders, startHostileServer, type HostileServer } from '../../support/hostile-server.js';
import { HttpReceiver } from '../../support/http-receiver.js';
import { canaryObject, deploymentObject, NS } from './harness.js';

const PLANTED = {
  promToken: 'prom-token-planted-1a2b3c',
  promOtherKey: 'prom-other-planted-4d5e',
  metricsPassword: 'metrics-pw-planted-6f7g',
  metricsQueryToken: 'metrics-qt-planted-8h9i',
  hookPassword: 'hook-pw-planted-0j1k',
  hookQueryToken: 'hook-qt-planted-2l3m',
  alertToken: 'alert-token-planted-4n5o',
  slackToken: 'xoxb-slack-planted-6p7q',
};

let prometheus: HostileServer;
let hook: HostileServer;
let slack: HostileServer;
let receiver: HttpReceiver;

beforeAll(async () => {
  prometheus = await startHostileServer(echoHeaders(401));
  hook = await startHostileServer(echoHeaders(500));
  slack = await startHostileServer(echoHeaders(403));
  receiver = await HttpReceiver.start();
  receiver.on('/alerts', { status: 200 });
});
afterAll(async () => {
  await Promise.all([prometheus.stop(), hook.stop(), slack.stop(), receiver.close()]);
});

function withUserInfo(base: string, user: string, password: string): string {
  return base.replace('http://', `http://${user}:${password}@`);
}

it('no planted credential reaches status, Events, logs or alerts', async () => {
  let nowMs = Date.parse('2026-03-01T12:00:00Z');
  const now = () => new Date(nowMs);
  const cluster = new MemoryCluster({ now });
  const simulator = new DeploymentSimulator({ cluster, now });
  const logLines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );
  const { reconciler } = createCore({
    cluster,
    scheduler: new InProcessScheduler(),
    logger,
    now,
    resolve: { defaultProvider: 'istio', defaultMetricsServer: 'http://prometheus:9090' },
    providerFor: createMetricProviderFactory({ readSecret: secretReader(cluster), timeoutMs: 2_000 }),
    instance: 'test',
  });

  const secret = (name: string, stringData: Record<string, string>) =>
    cluster.create({ ...API.secret, metadata: { name, namespace: NS }, stringData });
  await secret('prom-auth', { token: PLANTED.promToken, other: PLANTED.promOtherKey });
  await secret('alert-auth', { token: PLANTED.alertToken });
  await secret('slack-auth', { token: PLANTED.slackToken });
  await cluster.create({
    ...API.metricTemplate,
    metadata: { name: 'errors', namespace: NS },
    spec: {
      provider: {
        type: 'prometheus',
        address: `${withUserInfo(prometheus.baseUrl, 'metrics', PLANTED.metricsPassword)}/?token=${PLANTED.metricsQueryToken}`,
        secretRef: { name: 'prom-auth' },
      },
      query: 'sum(rate(errors[1m]))',
    },
  });
  await cluster.create({
    ...API.alertProvider,
    metadata: { name: 'receiver', namespace: NS },
    spec: { type: 'webhook', address: receiver.url('/alerts'), secretRef: { name: 'alert-auth' } },
  });
  await cluster.create({
    ...API.alertProvider,
    metadata: { name: 'slack', namespace: NS },
    spec: { type: 'slack', address: slack.baseUrl, channel: 'ops', secretRef: { name: 'slack-auth' } },
  });
  // Two canaries: a failed rollout hook stops the metric queries of its tick (Flagger's order), so
  // the hook's leaks and Prometheus's leaks each need a canary of their own.
  const alerts = [
    { name: 'on-call', severity: 'info', providerRef: { name: 'receiver' } },
    { name: 'chat', severity: 'info', providerRef: { name: 'slack' } },
  ] as const;
  await cluster.create(deploymentObject('promapp', 'v1'));
  await cluster.create(
    canaryObject('promapp', {
      threshold: 2,
      metrics: [{ name: 'errors', templateRef: { name: 'errors' }, thresholdRange: { max: 1 } }],
      alerts: [...alerts],
    } as Partial<Canary['spec']['analysis']>),
  );
  await cluster.create(deploymentObject('podinfo', 'v1'));
  await cluster.create(
    canaryObject('podinfo', {
      threshold: 2,
      webhooks: [
        {
          name: 'load-test',
          type: 'rollout',
          url: `${withUserInfo(hook.baseUrl, 'hooks', PLANTED.hookPassword)}/run?token=${PLANTED.hookQueryToken}`,
        },
      ],
      alerts: [...alerts],
    } as Partial<Canary['spec']['analysis']>),
  );

  const names = ['podinfo', 'promapp'];
  const key = objectKey(API.canary, NS, 'podinfo');
  const phaseOf = async (name: string) =>
    (await cluster.get<Canary>(objectKey(API.canary, NS, name)))?.status?.phase;
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      await simulator.flush();
      await new Promise((r) => setImmediate(r));
    }
  };
  for (let i = 0; i < 12; i++) {
    await settle();
    for (const name of names) {
      const result = await reconciler.reconcileOnce(NS, name);
      expect(result.error).toBeUndefined();
      if (i === 2) {
        const d = (await cluster.get<ReturnType<typeof deploymentObject>>(
          objectKey(API.deployment, NS, name),
        ))!;
        d.spec.template.spec.containers[0]!.image = 'v2';
        await cluster.replace(d);
      }
    }
    nowMs += 60_000;
    if ((await phaseOf('podinfo')) === 'Failed' && (await phaseOf('promapp')) === 'Failed') break;
  }

  const canary = (await cluster.get<Canary>(key))!;
  const promapp = (await cluster.get<Canary>(objectKey(API.canary, NS, 'promapp')))!;
  const events = await cluster.list<KubeEvent>({ ...API.event, namespace: NS });
  // The scenario went where the planted values could leak: both checks failed and were alerted.
  expect(canary.status?.phase).toBe('Failed');
  expect(promapp.status?.phase).toBe('Failed');
  expect(prometheus.requests.length).toBeGreaterThan(0);
  expect(prometheus.requests[0]?.headers.authorization).toMatch(/^(Bearer|Basic) /);
  expect(hook.requests[0]?.headers.authorization).toBeDefined();
  expect(slack.requests[0]?.headers.authorization).toBe(`Bearer ${PLANTED.slackToken}`);
  expect(receiver.requestsTo('/alerts').length).toBeGreaterThan(0);
  expect(events.some((e) => e.reason === 'CheckFailed')).toBe(true);
  expect(logLines.some((l) => l.includes('alert not delivered'))).toBe(true);

  const surfaces = {
    status: JSON.stringify([canary.status, promapp.status]),
    events: JSON.stringify(events),
    logs: logLines.join(''),
    alerts: receiver
      .requestsTo('/alerts')
      .map((r) => r.body)
      .join('\n'),
  };
  // The echoes put the credentials in the answers: only scrubbing keeps them out.
  expect(surfaces.status).toContain('denied:');
  for (const [where, text] of Object.entries(surfaces)) {
    for (const [name, value] of Object.entries(PLANTED)) {
      const forms = [value, encodeURIComponent(value)];
      for (const form of forms) {
        if (text.includes(form)) throw new Error(`${name} leaked into ${where}`);
      }
    }
    for (const basic of [
      Buffer.from(`metrics:${PLANTED.metricsPassword}`).toString('base64'),
      Buffer.from(`hooks:${PLANTED.hookPassword}`).toString('base64'),
    ]) {
      if (text.includes(basic)) throw new Error(`basic credentials leaked into ${where}`);
    }
  }
});
