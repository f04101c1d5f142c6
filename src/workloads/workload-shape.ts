/**
 * The shape of the Deployments and Services as Fledge reads them. The API server validates both, so
 * this mostly guards against objects from elsewhere (the in-memory cluster, a partial object in a
 * cache): a bad field becomes a MalformedObjectError naming the object and the field path.
 */
import type { KubeObject } from '../kube/cluster.js';
import {
  aNumber,
  aString,
  aStringMap,
  aStringOrNumber,
  checkObject,
  listOf,
  objectOf,
} from '../kube/object-shape.js';
import type { Deployment, Service } from '../kube/resources.js';

const nameRef = objectOf({ name: aString });

const container = objectOf({
  name: aString,
  env: listOf(objectOf({ valueFrom: objectOf({ configMapKeyRef: nameRef, secretKeyRef: nameRef }) })),
  envFrom: listOf(objectOf({ configMapRef: nameRef, secretRef: nameRef })),
  ports: listOf(objectOf({ containerPort: aNumber, name: aString, protocol: aString }, ['containerPort'])),
});

const podTemplate = objectOf(
  {
    metadata: objectOf({ labels: aStringMap, annotations: aStringMap }),
    spec: objectOf(
      {
        containers: listOf(container),
        initContainers: listOf(container),
        volumes: listOf(
          objectOf({
            configMap: nameRef,
            secret: objectOf({ secretName: aString }),
            projected: objectOf({ sources: listOf(objectOf({ configMap: nameRef, secret: nameRef })) }),
          }),
        ),
      },
      ['containers'],
    ),
  },
  ['spec'],
);

const condition = objectOf({
  type: aString,
  status: aString,
  reason: aString,
  lastUpdateTime: aString,
  lastTransitionTime: aString,
});

const deployment = objectOf(
  {
    metadata: objectOf({ generation: aNumber }),
    spec: objectOf(
      {
        replicas: aNumber,
        selector: objectOf({ matchLabels: aStringMap }),
        template: podTemplate,
      },
      ['selector', 'template'],
    ),
    status: objectOf({
      observedGeneration: aNumber,
      replicas: aNumber,
      updatedReplicas: aNumber,
      readyReplicas: aNumber,
      availableReplicas: aNumber,
      unavailableReplicas: aNumber,
      conditions: listOf(condition),
    }),
  },
  ['spec'],
);

const service = objectOf(
  {
    spec: objectOf({
      selector: aStringMap,
      ports: listOf(
        objectOf(
          {
            name: aString,
            port: aNumber,
            targetPort: aStringOrNumber,
            protocol: aString,
            appProtocol: aString,
            nodePort: aNumber,
          },
          ['port'],
        ),
      ),
    }),
  },
  ['spec'],
);

/**
 * The Deployment, typed, once the fields Fledge reads are checked.
 * @throws MalformedObjectError naming the object and the field
 */
export function checkDeployment(object: KubeObject): Deployment {
  return checkObject<Deployment>(object, deployment);
}

/**
 * The Service, typed, once the fields Fledge reads are checked.
 * @throws MalformedObjectError naming the object and the field
 */
export function checkService(object: KubeObject): Service {
  return checkObject<Service>(object, service);
}
