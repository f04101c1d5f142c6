/**
 * Rules of one webhook the schema cannot express: its address, or the built-in approval gate
 * (`fledgeApproval`, a Fledge addition) in place of one.
 */
import type { FieldError } from './field-error.js';
import { GATE_TYPES } from './schema/operator-request.js';
import type { CanaryWebhook } from './schema/canary.js';
import { httpUrlProblem } from './urls.js';

/** Errors of the webhook at `path` (`spec.analysis.webhooks[i]`). */
export function webhookErrors(path: string, hook: CanaryWebhook): FieldError[] {
  const approval = hook.fledgeApproval === true;
  if (approval && hook.url !== undefined) {
    return [
      {
        path: `${path}.fledgeApproval`,
        message: 'a webhook has either a url or fledgeApproval: true, not both; remove one',
      },
    ];
  }
  if (approval) {
    const type = hook.type ?? 'rollout';
    if (!(GATE_TYPES as readonly string[]).includes(type)) {
      return [
        {
          path: `${path}.fledgeApproval`,
          message: `only gates can wait for an approval (type ${GATE_TYPES.join(', ')}), this webhook has type ${type}${hook.type === undefined ? ' (the default)' : ''}`,
        },
      ];
    }
    return [];
  }
  if (hook.url === undefined) {
    return [{ path: `${path}.url`, message: 'required (or fledgeApproval: true on a confirm-* webhook)' }];
  }
  const problem = httpUrlProblem(hook.url);
  return problem ? [{ path: `${path}.url`, message: problem }] : [];
}
