/**
 * The shape of an HTTPRoute as Fledge reads it: one edited by hand (a `null` rule, a map where a
 * list belongs) is refused with a MalformedObjectError naming the object and the field path, before
 * anything reads or writes it.
 */
import type { KubeObject } from '../kube/cluster.js';
import { aNumber, aString, checkObject, listOf, objectOf } from '../kube/object-shape.js';
import type { HttpRoute } from './gateway-api-objects.js';

const headers = listOf(objectOf({ name: aString, value: aString }, ['name', 'value']));

// The response header modifier carries the session affinity cookie Fledge reads back.
const filter = objectOf(
  {
    type: aString,
    requestMirror: objectOf({ backendRef: objectOf({ name: aString }, ['name']) }),
    responseHeaderModifier: objectOf({ add: headers }),
  },
  ['type'],
);

const backendRef = objectOf(
  { group: aString, kind: aString, name: aString, port: aNumber, weight: aNumber, filters: listOf(filter) },
  ['name'],
);

const match = objectOf({ headers: listOf(objectOf({ name: aString, type: aString, value: aString })) });

const rule = objectOf({
  matches: listOf(match),
  filters: listOf(filter),
  backendRefs: listOf(backendRef),
});

const httpRoute = objectOf({
  spec: objectOf({
    parentRefs: listOf(objectOf({ name: aString }, ['name'])),
    hostnames: listOf(aString),
    rules: listOf(rule),
  }),
});

/**
 * The HTTPRoute, typed, once the fields Fledge reads are checked.
 * @throws MalformedObjectError naming the object and the field
 */
export function checkHttpRoute(object: KubeObject): HttpRoute {
  return checkObject<HttpRoute>(object, httpRoute);
}
