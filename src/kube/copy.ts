/**
 * Copies of Kubernetes objects. Caches (the informers, the in-memory cluster) hand every reader
 * its own copy, as controller-runtime's cache does, so that no reader can change what others see.
 */
import rfdc from 'rfdc';

/**
 * A deep copy of an object that is already plain JSON (one parsed from the API server, or stored
 * by a cache): several times faster than a JSON round trip, which was the largest single CPU cost
 * of a tick at 5,000 canaries.
 */
export const copyObject: <T>(value: T) => T = rfdc({ proto: false, circles: false });

/**
 * Copies through JSON, as an object travels to an API server: `undefined` members vanish and the
 * copy is plain JSON. For objects from callers, which may hold `undefined` members.
 */
export const serializedCopy = <T>(value: T): T =>
  value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
