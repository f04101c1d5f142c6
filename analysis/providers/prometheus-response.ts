/**
 * Strict reading of a Prometheus HTTP API answer to an instant query (`/api/v1/query`). Pure: the
 * provider does the I/O. The documented shape is
 *
 *     {"status": "success", "data": {"resultType": "vector" | "scalar" | "matrix" | "string", "result": ...}}
 *
 * where a vector is `[{"metric": {labels}, "value": [unixTime, "value"]}, ...]`, a scalar is one
 * `[unixTime, "value"]` sample, and a value string is a Go float (`strconv.ParseFloat`): decimal
 * or hex-with-exponent numbers, `NaN`, `+Inf`, `-Inf` (Inf and Infinity in any case). Anything
 * else is an error saying what came back: a check must never pass on an answer it misread.
 */

/** How much of an unexpected answer is quoted in the error. */
export const ANSWER_EXCERPT_CHARS = 200;

/** An answer that is not what the Prometheus API documents. */
export class PrometheusAnswerError extends Error {
  override name = 'PrometheusAnswerError';
}

/** What an instant query produced. */
export type InstantResult =
  | { kind: 'value'; value: number }
  | { kind: 'empty' }
  | { kind: 'series'; count: number }
  | { kind: 'other'; resultType: string };

/** The Prometheus error envelope (`status: error`), when the answer is one. */
export interface PrometheusErrorBody {
  errorType: string;
  error: string;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;

/**
 * Parses a sample value as Go's `strconv.ParseFloat(s, 64)` does, or returns undefined. Finite
 * literals too large for a double are refused (Go reports them as out of range).
 */
export function parseGoFloat(text: string): number | undefined {
  if (/^nan$/i.test(text)) return NaN;
  const inf = INFINITY.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  let value: number;
  if (DECIMAL.test(text)) {
    value = Number(text);
  } else {
    const hex = HEX.exec(text);
    if (!hex) return undefined;
    const [, sign, whole = '', fraction = '', exponent = '0'] = hex;
    if (whole === '' && fraction === '') return undefined;
    const mantissa = parseInt(`${whole}${fraction}` || '0', 16) / 16 ** fraction.length;
    value = (sign === '-' ? -1 : 1) * mantissa * 2 ** Number(exponent);
  }
  return Number.isFinite(value) ? value : undefined;
}

/** The first {@link ANSWER_EXCERPT_CHARS} characters of an answer, whitespace collapsed. */
export function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > ANSWER_EXCERPT_CHARS ? `${flat.slice(0, ANSWER_EXCERPT_CHARS)}…` : flat;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shown(value: unknown): string {
  return excerpt(JSON.stringify(value) ?? String(value));
}

/** `[unixTime, "value"]` to its value. */
function sampleValue(sample: unknown, where: string): number {
  if (!Array.isArray(sample) || sample.length !== 2) {
    throw new PrometheusAnswerError(`${where} is not a [time, "value"] pair: ${shown(sample)}`);
  }
  const [time, text] = sample as [unknown, unknown];
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    throw new PrometheusAnswerError(`${where} has no numeric timestamp: ${shown(sample)}`);
  }
  if (typeof text !== 'string') {
    throw new PrometheusAnswerError(`${where} value is not a string: ${shown(sample)}`);
  }
  const value = parseGoFloat(text);
  if (value === undefined) {
    throw new PrometheusAnswerError(`${where} value ${shown(text)} is not a number`);
  }
  return value;
}

/** The error envelope of a `status: error` answer, or undefined when the body is not one. */
export function prometheusError(body: unknown): PrometheusErrorBody | undefined {
  if (!isObject(body) || body.status !== 'error') return undefined;
  const errorType = typeof body.errorType === 'string' ? body.errorType : 'unknown';
  const error = typeof body.error === 'string' && body.error !== '' ? body.error : 'no message';
  return { errorType, error };
}

/**
 * Reads a successful answer. Throws {@link PrometheusAnswerError} for anything but a documented
 * `status: success` answer (an `error` field alongside data included).
 */
export function parseInstantAnswer(body: unknown): InstantResult {
  if (!isObject(body)) throw new PrometheusAnswerError(`answer is not a JSON object: ${shown(body)}`);
  if (body.status !== 'success') {
    throw new PrometheusAnswerError(
      `answer has status ${shown(body.status)}, expected "success": ${shown(body)}`,
    );
  }
  if ('error' in body || 'errorType' in body) {
    throw new PrometheusAnswerError(`answer says success but carries an error: ${shown(body)}`);
  }
  const data = body.data;
  if (!isObject(data) || typeof data.resultType !== 'string') {
    throw new PrometheusAnswerError(`answer has no data.resultType: ${shown(body)}`);
  }
  const { resultType, result } = data;
  switch (resultType) {
    case 'scalar':
      return valueResult(sampleValue(result, 'scalar result'));
    case 'vector': {
      if (!Array.isArray(result))
        throw new PrometheusAnswerError(`vector result is not a list: ${shown(result)}`);
      result.forEach((series: unknown, i) => {
        if (!isObject(series) || !isObject(series.metric) || !('value' in series)) {
          throw new PrometheusAnswerError(`vector element ${i} is not {metric, value}: ${shown(series)}`);
        }
      });
      if (result.length === 0) return { kind: 'empty' };
      if (result.length > 1) return { kind: 'series', count: result.length };
      return valueResult(sampleValue((result[0] as { value: unknown }).value, 'vector sample'));
    }
    case 'matrix':
    case 'string':
      return { kind: 'other', resultType };
    default:
      throw new PrometheusAnswerError(`answer has unknown resultType ${shown(resultType)}`);
  }
}

function valueResult(value: number): InstantResult {
  return Number.isNaN(value) ? { kind: 'empty' } : { kind: 'value', value };
}
