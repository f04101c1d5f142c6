/**
 * The shape of the Istio objects as Fledge reads them: a VirtualService or DestinationRule edited
 * by hand (a `null` route, a map where a list belongs) is refused with a MalformedObjectError naming
 * the object and the field path, before anything reads or writes it.
 */
import type { KubeObject } from '../kube/cluster.js';
import { aNumber, aString, aStringMap, checkObject, listOf, objectOf } from '../kube/object-shape.js';
import type { DestinationRule, VirtualService } from './istio-objects.js';

const destination = objectOf({ host: aString, subset: aString, port: objectOf({ number: aNumber }) }, [
  'host',
]);

const routeDestinations = listOf(objectOf({ destination, weight: aNumber }, ['destination']));

const tcpRoute = objectOf({ match: listOf(objectOf({})), route: routeDestinations });

const httpRoute = objectOf({
  match: listOf(objectOf({})),
  route: routeDestinations,
  mirror: destination,
  mirrorPercentage: objectOf({ value: aNumber }),
});

const virtualService = objectOf({
  spec: objectOf({
    hosts: listOf(aString),
    gateways: listOf(aString),
    http: listOf(httpRoute),
    tcp: listOf(tcpRoute),
  }),
});

const destinationRule = objectOf({
  spec: objectOf({
    host: aString,
    subsets: listOf(objectOf({ name: aString, labels: aStringMap }, ['name'])),
    trafficPolicy: objectOf({}),
  }),
});

/**
 * The VirtualService, typed, once the fields Fledge reads are checked.
 * @throws MalformedObjectError naming the object and the field
 */
export function checkVirtualService(object: KubeObject): VirtualService {
  return checkObject<VirtualService>(object, virtualService);
}

/**
 * The DestinationRule, typed, once the fields Fledge reads are checked.
 * @throws MalformedObjectError naming the object and the field
 */
export function checkDestinationRule(object: KubeObject): DestinationRule {
  return checkObject<DestinationRule>(object, destinationRule);
}
