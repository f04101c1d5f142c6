/** The HTTPRoute Fledge writes for `examples/gatewayapi-ab-testing.yaml`, so the example says what it shows. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Canary } from '../../../src/api/schema/canary.js';
import { buildRules } from '../../../src/routers/gateway-api-objects.js';
import { gatewayCanaryFor } from './gateway-api-fixtures.js';

const example = parse(
  readFileSync(
    fileURLToPath(new URL('../../../examples/gatewayapi-ab-testing.yaml', import.meta.url)),
    'utf8',
  ),
) as Canary;

describe('examples/gatewayapi-ab-testing.yaml', () => {
  it('sends the premium header and the canary=always cookie to the canary, the rest to the primary', () => {
    const canary = gatewayCanaryFor(example.spec.service, example.spec.analysis);
    expect(canary.analysis.strategy).toBe('ab-testing');
    const [matched, rest] = buildRules(canary, { primary: 0, canary: 100, mirrored: false });
    expect(matched?.matches?.map((m) => m.headers)).toEqual([
      [{ name: 'user-type', type: 'Exact', value: 'premium' }],
      [{ name: 'cookie', type: 'RegularExpression', value: '^(.*?;)?(canary=always)(;.*)?$' }],
    ]);
    expect(matched?.backendRefs?.find((b) => b.name === 'podinfo-canary')).toMatchObject({ weight: 100 });
    expect(rest?.matches?.every((m) => m.headers === undefined)).toBe(true);
    expect(rest?.backendRefs).toEqual([expect.objectContaining({ name: 'podinfo-primary', weight: 100 })]);
  });
});
