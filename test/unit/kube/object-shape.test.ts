import fc from 'fast-check';
import type { KubeObject } from '../../../src/kube/cluster.js';
import {
  aNumber,
  aString,
  aStringMap,
  checkObject,
  listOf,
  MalformedObjectError,
  objectOf,
  type Shape,
} from '../../../src/kube/object-shape.js';

const object = (spec: unknown): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Thing', metadata: { name: 'a', namespace: 'ns' }, spec }) as KubeObject;

describe('checkObject', () => {
  it('checks a good object without building a single path or message', () => {
    // The path-building check of a field: it must only run once the object is known to be bad.
    const namingOnly: Shape = Object.assign(
      () => {
        throw new Error('the path-building check ran for a good object');
      },
      { holds: (v: unknown) => typeof v === 'string' },
    );
    const shape = objectOf({ spec: objectOf({ items: listOf(objectOf({ name: namingOnly })) }) });
    const good = object({ items: [{ name: 'x' }, { name: 'y' }] });
    expect(checkObject(good, shape)).toBe(good);
  });

  it('names the first bad field as the path-building check finds it', () => {
    const shape = objectOf({
      spec: objectOf({
        items: listOf(objectOf({ name: aString, port: aNumber }, ['name'])),
        labels: aStringMap,
      }),
    });
    const cases: [unknown, string][] = [
      [
        { items: [{ name: 'x' }, { name: 'y', port: '80' }] },
        'spec.items[1].port must be a number, got the string "80"',
      ],
      [{ items: [{ port: 80 }] }, 'spec.items[0].name is required'],
      [{ items: {} }, 'spec.items must be a list, got an object'],
      [{ labels: { a: 'b', c: 3 } }, 'spec.labels.c must be a string, got number 3'],
      [null, 'spec must be an object, got null'],
    ];
    for (const [spec, message] of cases) {
      expect(() => checkObject(object(spec), shape)).toThrow(
        new MalformedObjectError(`Thing ns/a: ${message}`, ''),
      );
    }
  });

  it('agrees with the path-building check on any value: refused exactly when it names a problem', () => {
    const shape = objectOf({
      spec: objectOf({
        items: listOf(objectOf({ name: aString, n: aNumber }, ['name'])),
        labels: aStringMap,
      }),
    });
    fc.assert(
      fc.property(fc.anything(), (spec) => {
        const problem = shape(object(spec), '');
        let refused = false;
        try {
          checkObject(object(spec), shape);
        } catch (err) {
          refused = err instanceof MalformedObjectError;
        }
        return refused === (problem !== undefined);
      }),
      { numRuns: 2_000 },
    );
  });
});
