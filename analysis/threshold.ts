/** Judging one metric value against its `thresholdRange`. Pure functions, no I/O. */

/** The range a value must fall in; either bound may be absent. */
export interface ThresholdRange {
  min?: number | undefined;
  max?: number | undefined;
}

/** The outcome of {@link judgeThreshold}. */
export interface ThresholdVerdict {
  passed: boolean;
  /** Why, with the value and the bound it was compared with. */
  message: string;
}

/** Formats a metric value for messages: at most 6 significant digits, no trailing zeros. */
export function formatMetricValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

function describeRange(range: ThresholdRange): string {
  const { min, max } = range;
  if (min !== undefined && max !== undefined) return `[${formatMetricValue(min)}, ${formatMetricValue(max)}]`;
  if (min !== undefined) return `>= ${formatMetricValue(min)}`;
  if (max !== undefined) return `<= ${formatMetricValue(max)}`;
  return 'any value (no thresholdRange)';
}

/**
 * Passes when `min <= value <= max`, each bound optional; a range with no bounds accepts any
 * value. NaN never passes (callers treat NaN as "no data" before getting here).
 *
 * @param metric the metric's name, used in the message.
 */
export function judgeThreshold(metric: string, value: number, range: ThresholdRange): ThresholdVerdict {
  const shown = formatMetricValue(value);
  if (Number.isNaN(value)) {
    return { passed: false, message: `${metric}: value is NaN, expected ${describeRange(range)}` };
  }
  const { min, max } = range;
  if (min !== undefined && max !== undefined && min > max) {
    return {
      passed: false,
      message: `${metric}: thresholdRange is empty (min ${formatMetricValue(min)} > max ${formatMetricValue(max)}), value ${shown}`,
    };
  }
  if (min !== undefined && value < min) {
    return { passed: false, message: `${metric}: ${shown} is below the minimum ${formatMetricValue(min)}` };
  }
  if (max !== undefined && value > max) {
    return { passed: false, message: `${metric}: ${shown} is above the maximum ${formatMetricValue(max)}` };
  }
  return { passed: true, message: `${metric}: ${shown} is within ${describeRange(range)}` };
}
