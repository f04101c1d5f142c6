/** The Fledge resource kinds: each kind's schema, plural and short names, in one table. */
import type { TSchema } from '@sinclair/typebox';
import { AlertProviderSchema } from './schema/alert-provider.js';
import { CanarySchema } from './schema/canary.js';
import { MetricTemplateSchema } from './schema/metric-template.js';

/** What the CRD generator and the validator need to know of a kind. */
export interface KindInfo {
  kind: 'Canary' | 'MetricTemplate' | 'AlertProvider';
  plural: string;
  singular: string;
  shortNames: string[];
  schema: TSchema;
  /** Whether the kind has a `/status` subresource. */
  hasStatus: boolean;
  printerColumns: { name: string; type: string; jsonPath: string; priority?: number }[];
}

export const KINDS: readonly KindInfo[] = [
  {
    kind: 'Canary',
    plural: 'canaries',
    singular: 'canary',
    // No short name `canary`: Flagger's CRD has it as its singular, and with both installed
    // `kubectl get canary` would silently mean Fledge's.
    shortNames: [],
    schema: CanarySchema,
    hasStatus: true,
    printerColumns: [
      { name: 'Status', type: 'string', jsonPath: '.status.phase' },
      { name: 'Weight', type: 'integer', jsonPath: '.status.canaryWeight' },
      // Flagger's columns, in Flagger's order (`-o wide` shows those with priority 1).
      { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend', priority: 1 },
      { name: 'FailedChecks', type: 'integer', jsonPath: '.status.failedChecks', priority: 1 },
      { name: 'Interval', type: 'string', jsonPath: '.spec.analysis.interval', priority: 1 },
      { name: 'Mirror', type: 'boolean', jsonPath: '.spec.analysis.mirror', priority: 1 },
      { name: 'StepWeight', type: 'integer', jsonPath: '.spec.analysis.stepWeight', priority: 1 },
      { name: 'StepWeights', type: 'string', jsonPath: '.spec.analysis.stepWeights', priority: 1 },
      { name: 'MaxWeight', type: 'integer', jsonPath: '.spec.analysis.maxWeight', priority: 1 },
      { name: 'LastTransitionTime', type: 'string', jsonPath: '.status.lastTransitionTime' },
    ],
  },
  {
    kind: 'MetricTemplate',
    plural: 'metrictemplates',
    singular: 'metrictemplate',
    shortNames: ['mt'],
    schema: MetricTemplateSchema,
    hasStatus: false,
    printerColumns: [{ name: 'Provider', type: 'string', jsonPath: '.spec.provider.type' }],
  },
  {
    kind: 'AlertProvider',
    plural: 'alertproviders',
    singular: 'alertprovider',
    shortNames: ['ap'],
    schema: AlertProviderSchema,
    hasStatus: false,
    printerColumns: [{ name: 'Type', type: 'string', jsonPath: '.spec.type' }],
  },
];

export function kindInfo(kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}
