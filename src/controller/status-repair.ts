/**
 * Repair of what Fledge owns in a Canary's status. The status is Fledge's to write, but it can
 * still arrive malformed: edited by hand, written by an older version, or served by an API server
 * that does not hold the CRD's schema. A tick must not throw on it (the problem report itself would
 * fail, leaving the canary with no condition and no Event), and must not refuse the canary as
 * invalid forever either: each field of the wrong shape is dropped, and each entry of a list that
 * is not a valid entry is left out, so the tick goes on from a status it can read and its status
 * write replaces what was there.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { CanaryStatusSchema, type CanaryStatus } from '../api/schema/canary.js';

const ajv = new Ajv({ allErrors: false, strict: false });

interface FieldCheck {
  field: string;
  /** The whole field. */
  check: ValidateFunction;
  /** One entry, for list fields: bad entries are left out rather than losing the whole list. */
  item?: ValidateFunction;
}

// Generated from the schema, so a field added to the status is covered without a change here.
const FIELDS: FieldCheck[] = Object.entries(CanaryStatusSchema.properties).map(([field, schema]) => {
  const items = (schema as { type?: unknown; items?: object }).items;
  return {
    field,
    check: ajv.compile(schema),
    ...((schema as { type?: unknown }).type === 'array' && items ? { item: ajv.compile(items) } : {}),
  };
});

/** A repaired status and what was wrong with the one read, one line per repair. */
export interface RepairedStatus {
  status: CanaryStatus;
  /** E.g. `status.conditions[1]: not a valid entry (got null); left out`. Empty when nothing was wrong. */
  repairs: string[];
}

/** Returns `raw` (whatever the API server served) as a status Fledge can read. Pure. */
export function repairStatus(raw: unknown): RepairedStatus {
  if (raw === undefined || raw === null) return { status: {}, repairs: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { status: {}, repairs: [`status: not an object${got(raw)}; replaced`] };
  }
  const input = raw as Record<string, unknown>;
  const status: Record<string, unknown> = { ...input };
  const repairs: string[] = [];
  for (const { field, check, item } of FIELDS) {
    const value = input[field];
    // `as boolean`: ajv's guard would narrow `value` to never on the repair path.
    if (value === undefined || (check(value) as boolean)) continue;
    if (item && Array.isArray(value)) {
      const kept = value.filter((entry, i) => {
        if (item(entry)) return true;
        repairs.push(`status.${field}[${i}]: not a valid entry${got(entry)}; left out`);
        return false;
      });
      // Entries may be valid one by one and the list still not (a bound on its length): drop it then.
      if (check(kept)) {
        status[field] = kept;
        continue;
      }
    }
    repairs.push(`status.${field}: ${describe(check)}${got(value)}; removed`);
    delete status[field];
  }
  return { status: status as CanaryStatus, repairs };
}

function describe(check: ValidateFunction): string {
  const error = check.errors?.[0];
  if (!error) return 'invalid value';
  const where = error.instancePath ? ` at ${error.instancePath}` : '';
  return `${error.message ?? 'invalid value'}${where}`;
}

function got(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return ` (got ${text.length > 80 ? `${text.slice(0, 77)}...` : text})`;
}
