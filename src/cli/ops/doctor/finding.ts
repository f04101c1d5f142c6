/**
 * What `fledge doctor` reports: findings (something is wrong or about to be), each with what was
 * seen and how to fix it, plus the answers of the metric queries and endpoint probes it ran.
 */
import type { KubeObject } from '../../../kube/cluster.js';
import type { PodSpec } from '../../../kube/resources.js';

/** `error` breaks the rollout (the command exits 1); `warning` may; `info` is worth knowing. */
export type Severity = 'error' | 'warning' | 'info';

/**
 * The area a finding belongs to: one per check file, `cluster` for reads that failed and `spec`
 * for a Canary the controller refuses.
 */
export type Area = 'sidecar' | 'mtls' | 'routing' | 'metrics' | 'webhooks' | 'alerts' | 'cluster' | 'spec';

/** One finding. */
export interface Finding {
  severity: Severity;
  area: Area;
  /** The object it is about, as `Kind namespace/name`. */
  object: string;
  /** What was seen. */
  saw: string;
  /** What to do about it. */
  fix: string;
}

/** One metric check as run now. */
export interface MetricRun {
  /** The metric's name in the Canary. */
  metric: string;
  query?: string;
  /** The value, when the query returned one. */
  value?: number;
  /** The check's verdict now, in the analysis' own words. */
  result: string;
  passed: boolean;
}

/** One version's counts over the interval, as the judge would read them. */
export interface CountsRead {
  requests: number;
  errors: number;
  /** Requests within the latency edge, when latency is judged. */
  withinEdge?: number;
}

/** One set of the judge's count queries as run now (a canary with `spec.analysis.judge`). */
export interface CountRun {
  /** Where the queries come from: `builtin istio`, `MetricTemplate ns/name (metric m)`. */
  source: string;
  /** The Prometheus range they ran over. */
  interval: string;
  /** The latency edge in ms, when latency is judged. */
  edgeMs?: number;
  /** Absent: no request series for the version (it served nothing), or the queries failed. */
  canary?: CountsRead;
  primary?: CountsRead;
  /** Why the counts could not be read. */
  problem?: string;
  /** Each query with its value (absent: no data or failed). */
  queries: {
    version: 'canary' | 'primary';
    of: 'requests' | 'errors' | 'withinEdge';
    query: string;
    value?: number;
  }[];
}

/** One endpoint probe (a webhook or an alert provider). */
export interface ProbeRun {
  /** `webhook NAME` or `alert NAME (AlertProvider ns/name)`. */
  what: string;
  /** The address probed, without credentials or query. */
  address: string;
  /** `HTTP 200 OK`, or why no answer came. */
  answer: string;
  reachable: boolean;
}

/** Everything `fledge doctor` found about one Canary. */
export interface DoctorReport {
  /** `namespace/name` of the Canary. */
  canary: string;
  findings: Finding[];
  metrics: MetricRun[];
  /** The judge's count queries; absent or empty when the canary has no judge. */
  counts?: CountRun[];
  probes: ProbeRun[];
}

/** A Pod, with the fields the checks read. */
export interface Pod extends KubeObject {
  spec: PodSpec;
  status?: { phase?: string };
}

/** A Namespace. */
export type Namespace = KubeObject;

/** `Kind namespace/name` of an object, as findings name it. */
export function nameOf(object: KubeObject): string {
  const ns = object.metadata.namespace;
  return `${object.kind} ${ns ? `${ns}/` : ''}${object.metadata.name}`;
}

/** Whether every label of `selector` is on `labels` (an empty selector selects everything). */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/** Whether a report holds a finding of error severity (the command then exits 1). */
export function hasErrors(report: DoctorReport): boolean {
  return report.findings.some((f) => f.severity === 'error');
}
