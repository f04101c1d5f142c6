/**
 * Building blocks shared by the Fledge resource schemas.
 *
 * Each schema is plain JSON Schema (TypeBox), used three ways: `Static<>` gives the TypeScript type,
 * `validate.ts` checks documents against it, and `crd.ts` turns it into a CRD's `openAPIV3Schema`.
 * Keys starting with `x-fledge-` are hints for error messages and never reach a CRD.
 */
import { Type, type TSchema, type ObjectOptions, type TProperties } from '@sinclair/typebox';

/** Message hint used by the validator in place of a raw pattern. */
export const MESSAGE_HINT = 'x-fledge-message';

/** The CRD group and version of every Fledge resource. */
export const GROUP = 'fledge.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A closed object: unknown fields are reported by `fledge validate` (the CRD prunes them instead). */
export function Struct<T extends TProperties>(properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** An object whose contents Fledge passes through untouched (e.g. an Istio trafficPolicy). */
export function Opaque(description: string) {
  return Type.Record(Type.String(), Type.Unknown(), {
    description,
    'x-kubernetes-preserve-unknown-fields': true,
  });
}

/** Go duration such as `30s`, `1m` or `1m30s`. */
export function Duration(description: string) {
  return Type.String({
    description,
    pattern: '^(0|\\+?((\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h))+)$',
    [MESSAGE_HINT]: 'must be a duration such as 30s, 1m or 1m30s',
  });
}

/**
 * Prometheus duration such as `30s`, `5m` or `1h30m`: whole numbers, units y, w, d, h, m, s, ms,
 * largest first. A metric's interval goes into a range selector (`[{{ interval }}]`), where
 * Prometheus refuses Go's fractions (`1.5m`) and signs (`+30s`).
 */
export function PrometheusDuration(description: string) {
  return Type.String({
    description,
    minLength: 1,
    pattern: '^((\\d+)y)?((\\d+)w)?((\\d+)d)?((\\d+)h)?((\\d+)m)?((\\d+)s)?((\\d+)ms)?$',
    [MESSAGE_HINT]:
      'must be a Prometheus duration: whole numbers with units, largest first, such as 30s, 1m or 1h30m',
  });
}

/** A map of string to string (labels, annotations, headers, template variables). */
export function StringMap(description: string) {
  return Type.Record(Type.String(), Type.String(), { description });
}

/** A Kubernetes `IntOrString` (for example a `targetPort`). */
export function IntOrString(description: string) {
  return Type.Union([Type.Integer(), Type.String()], {
    description,
    'x-kubernetes-int-or-string': true,
    [MESSAGE_HINT]: 'must be an integer or a string',
  });
}

/** Percentage 0..100. */
export function Percent(description: string) {
  return Type.Integer({ description, minimum: 0, maximum: 100 });
}

/** Reference to a named object, optionally in another namespace. */
export function NamespacedRef(description: string) {
  return Struct(
    {
      name: Type.String({ minLength: 1, description: 'Name of the referenced object.' }),
      namespace: Type.Optional(
        Type.String({ description: 'Namespace of the referenced object (default: the Canary namespace).' }),
      ),
    },
    { description },
  );
}

/** Reference to a Kubernetes object by apiVersion, kind and name in the same namespace. */
export function CrossVersionRef<K extends TSchema>(description: string, kind: K) {
  return Struct(
    {
      apiVersion: Type.Optional(Type.String()),
      kind,
      name: Type.String({ minLength: 1 }),
    },
    { description },
  );
}

/** Reference to a Secret holding credentials. */
export const SecretRef = Struct(
  { name: Type.String({ minLength: 1, description: 'Name of the Secret in the same namespace.' }) },
  { description: 'Secret with credentials.' },
);

/** Metadata every top-level document carries; only the fields Fledge reads are typed. */
export const ObjectMetaSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    namespace: Type.Optional(Type.String()),
    uid: Type.Optional(Type.String()),
    resourceVersion: Type.Optional(Type.String()),
    generation: Type.Optional(Type.Integer()),
    labels: Type.Optional(StringMap('Labels.')),
    annotations: Type.Optional(StringMap('Annotations.')),
    finalizers: Type.Optional(Type.Array(Type.String())),
    deletionTimestamp: Type.Optional(Type.String()),
    creationTimestamp: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/** A `metav1.Condition`-shaped status condition. */
export const ConditionSchema = Type.Object({
  type: Type.String(),
  status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
  lastUpdateTime: Type.Optional(Type.String()),
  lastTransitionTime: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});

/** A union of string literals, rendered as a JSON Schema `enum` (structural-schema friendly). */
export function Enum<const T extends readonly string[]>(values: T, description: string) {
  return Type.Unsafe<T[number]>({
    type: 'string',
    enum: [...values],
    description,
    [MESSAGE_HINT]: `must be one of: ${values.join(', ')}`,
  });
}
