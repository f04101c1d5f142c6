import { appDeployment } from '../../support/devtools/manifests.js';
import { oneReplicaDeployment } from '../../support/deployments.js';
import { doctorDeployment } from '../../support/doctor-rollout.js';

it('builds one replica whose pods carry and are selected by app: NAME, the Deployment unlabelled', () => {
  expect(oneReplicaDeployment('team-a', 'podinfo', [{ name: 'app', image: 'podinfo:1' }])).toEqual({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'podinfo', namespace: 'team-a' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'podinfo' } },
      template: {
        metadata: { labels: { app: 'podinfo' } },
        spec: { containers: [{ name: 'app', image: 'podinfo:1' }] },
      },
    },
  });
});

it('labels the Deployment object itself when asked', () => {
  const labelled = oneReplicaDeployment('team-a', 'podinfo', [{ name: 'app' }], { labelled: true });
  expect(labelled.metadata.labels).toEqual({ app: 'podinfo' });
});

it('keeps the shapes of the doctor and fleet Deployments built on it', () => {
  const doctor = doctorDeployment('team-a', 'early', ['app', 'istio-proxy']);
  expect(doctor.metadata).toEqual({ name: 'early', namespace: 'team-a' });
  expect(doctor.spec.template.spec.containers).toEqual([
    { name: 'app', image: 'app:1' },
    { name: 'istio-proxy', image: 'istio-proxy:1' },
  ]);
  const fleet = appDeployment('herd', 'app-0', 'podinfo:2');
  expect(fleet.metadata).toEqual({ name: 'app-0', namespace: 'herd', labels: { app: 'app-0' } });
  expect(fleet.spec.selector).toEqual({ matchLabels: { app: 'app-0' } });
  expect(fleet.spec.template.spec.containers).toEqual([
    { name: 'app', image: 'podinfo:2', ports: [{ name: 'http', containerPort: 8080 }] },
  ]);
});
