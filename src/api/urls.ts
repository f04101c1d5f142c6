/** What the controller accepts as an address it sends HTTP requests to. */
import { quote } from './field-error.js';

/** Why `text` is not an absolute http:// or https:// URL with a host, or undefined when it is one. */
export function httpUrlProblem(text: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.hostname === '' ||
    /\s/.test(text)
  ) {
    return `must be an http:// or https:// address (got ${quote(text)})`;
  }
  return undefined;
}
