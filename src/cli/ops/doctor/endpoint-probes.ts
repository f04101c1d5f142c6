/** Sends the HEAD probes `endpoints.ts` plans, through the bounded outbound HTTP. */
import { boundedFetch, type SendFn } from '../../../http/outbound.js';
import type { ProbeAnswer, ProbeTarget } from './endpoints.js';

/** What is read of a probe's answer at most: only its status matters. */
const PROBE_MAX_BYTES = 64 * 1024;

/** Probes each target once, all at once; never rejects. */
export function probeEndpoints(
  targets: ProbeTarget[],
  send: SendFn = boundedFetch,
): Promise<{ target: ProbeTarget; answer: ProbeAnswer }[]> {
  return Promise.all(
    targets.map(async (target) => {
      if (!(target.url instanceof URL)) return { target, answer: { error: target.url.error } };
      try {
        const response = await send({
          url: target.url,
          method: 'HEAD',
          deadlineMs: target.timeoutMs,
          maxBytes: PROBE_MAX_BYTES,
          what: `probe of ${target.what}`,
        });
        return { target, answer: { status: response.status, statusText: response.statusText } };
      } catch (error) {
        return { target, answer: { error: error instanceof Error ? error.message : String(error) } };
      }
    }),
  );
}
