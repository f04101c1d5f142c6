/** The shape of every validation problem, and how values are echoed in its message. */

/** One problem with one field. */
export interface FieldError {
  /** Path such as `spec.analysis.stepWeights[2]`; empty for the document itself. */
  path: string;
  message: string;
}

/** Renders a FieldError as `path: message`. */
export function formatFieldError(e: FieldError): string {
  return e.path ? `${e.path}: ${e.message}` : e.message;
}

/** The longest value echoed in a message, in characters: a 1 MB string must not fill a terminal. */
export const MAX_ECHO_CHARS = 80;

/** Cuts `text` to at most `max` characters, saying how much was left out. */
export function truncate(text: string, max = MAX_ECHO_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/** A value as JSON (strings quoted), truncated to {@link MAX_ECHO_CHARS}. */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  if (typeof value === 'number' && !Number.isFinite(value)) text = String(value);
  return truncate(text);
}

/** Truncates a path for a message: deep nesting makes paths of thousands of segments. */
export function truncatePath(path: string, max = 200): string {
  return path.length <= max ? path : `${path.slice(0, max)}...`;
}
