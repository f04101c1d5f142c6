/** Webhook and alert provider probes: HEAD without payload, answers judged, credentials not shown. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeEndpoints } from '../../../../src/cli/ops/doctor/endpoint-probes.js';
import { checkEndpoints, probeTargets } from '../../../../src/cli/ops/doctor/endpoints.js';
import type { AlertProvider } from '../../../../src/api/schema/alert-provider.js';
import { canaryFor } from '../../routers/fixtures.js';

let server: Server;
let base: string;
const received: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(req);
    if (req.url === '/down') {
      res.writeHead(503, 'Service Unavailable').end();
      return;
    }
    // A HEAD answer announcing a GET body far above the probe's cap: it still counts as an answer.
    res.writeHead(405, 'Method Not Allowed', { 'Content-Length': String(50 * 1024 * 1024) }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function slack(address?: string): AlertProvider {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'AlertProvider',
    metadata: { name: 'on-call', namespace: 'test' },
    spec: { type: 'slack', ...(address ? { address } : {}) },
  };
}

function canaryWith(urls: Record<string, string>) {
  return canaryFor(
    {},
    {
      webhooks: Object.entries(urls).map(([name, url]) => ({
        name,
        url,
        type: 'confirm-rollout' as const,
        timeout: '2s',
      })),
      alerts: [{ name: 'team', providerRef: { name: 'on-call' } }],
    },
  );
}

describe('probeTargets', () => {
  it('plans a webhook with its address and an alert provider with its origin only', () => {
    const targets = probeTargets(canaryWith({ gate: 'http://loadtester.test/gate/check?x=1' }), [
      {
        name: 'test/on-call',
        provider: slack('https://hooks.example.com/old'),
        secretAddress: 'https://hooks.example.com/services/T0/SECRET',
      },
    ]);
    expect(targets.map((t) => [t.what, t.shown])).toEqual([
      ['webhook gate (confirm-rollout)', 'http://loadtester.test/gate/check'],
      ['alert team (AlertProvider test/on-call)', 'https://hooks.example.com'],
    ]);
    expect((targets[1]?.url as URL).pathname).toBe('/services/T0/SECRET');
  });

  it('leaves out a built-in approval gate, which has no address', () => {
    const canary = canaryFor(
      {},
      {
        webhooks: [{ name: 'approval', type: 'confirm-promotion' as const, fledgeApproval: true }],
        alerts: [],
      },
    );
    expect(probeTargets(canary, [])).toEqual([]);
  });

  it('names a missing provider or address instead of probing', () => {
    const missing = probeTargets(canaryWith({}), []);
    expect(missing[0]?.url).toEqual({ error: 'AlertProvider test/on-call not found' });
    const empty = probeTargets(canaryWith({}), [{ name: 'test/on-call', provider: slack() }]);
    expect(empty[0]?.url).toEqual({
      error: 'AlertProvider test/on-call spec.address (or its Secret\'s "address") is empty',
    });
  });
});

describe('probeEndpoints and checkEndpoints', () => {
  it('probes with HEAD and no body, reports every answer, and finds the unreachable and the failing', async () => {
    received.length = 0;
    const canary = canaryWith({
      up: `${base}/gate/open`,
      down: `${base}/down`,
      gone: 'http://127.0.0.1:1/hook',
    });
    const probes = await probeEndpoints(
      probeTargets(canary, [{ name: 'test/on-call', provider: slack(`${base}/hook`) }]),
    );
    expect(received.map((r) => [r.method, r.url, r.headers['content-length']])).toEqual(
      expect.arrayContaining([
        ['HEAD', '/gate/open', undefined],
        ['HEAD', '/down', undefined],
        ['HEAD', '/hook', undefined],
      ]),
    );
    const { findings, runs } = checkEndpoints(probes);
    expect(runs.map((r) => [r.what, r.answer, r.reachable])).toEqual([
      ['webhook up (confirm-rollout)', 'HTTP 405 Method Not Allowed', true],
      ['webhook down (confirm-rollout)', 'HTTP 503 Service Unavailable', true],
      ['webhook gone (confirm-rollout)', expect.stringContaining('ECONNREFUSED'), false],
      ['alert team (AlertProvider test/on-call)', 'HTTP 405 Method Not Allowed', true],
    ]);
    expect(findings.map((f) => [f.severity, f.area, f.object])).toEqual([
      ['warning', 'webhooks', 'Canary test/podinfo'],
      ['error', 'webhooks', 'Canary test/podinfo'],
    ]);
    expect(findings[1]?.saw).toContain(
      'webhook gone (confirm-rollout) at http://127.0.0.1:1/hook is unreachable',
    );
  });
});
