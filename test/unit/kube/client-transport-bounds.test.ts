import { kubeConfigForServer } from '../../../src/kube/client/config.js';
import { ApiUnreachableError } from '../../../src/kube/client/errors.js';
import { TokenBucket } from '../../../src/kube/client/rate-limiter.js';
import { KubeTransport } from '../../../src/kube/client/transport.js';
import { withCallBudget } from '../../../src/http/outbound.js';
import {
  endless,
  json,
  startHostileServer,
  trickle,
  type HostileServer,
} from '../../support/hostile-server.js';

let server: HostileServer;
beforeEach(async () => {
  server = await startHostileServer(json(200, { kind: 'ConfigMap' }));
});
afterEach(async () => {
  await server.stop();
});

function transport(options: { requestTimeoutMs?: number; maxResponseBytes?: number } = {}) {
  return new KubeTransport({
    kubeConfig: kubeConfigForServer({ server: server.baseUrl, token: 'kube-token-planted' }),
    limiter: new TokenBucket({ qps: 1_000, burst: 1_000 }),
    requests: {},
    ...options,
  });
}

const get = { method: 'GET' as const, path: '/api/v1/namespaces/a/configmaps/b', count: 'get configmaps' };

describe('KubeTransport bounds', () => {
  it('sends the kubeconfig credentials and reads the answer', async () => {
    expect(await transport().send(get)).toEqual({ status: 200, body: { kind: 'ConfigMap' } });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer kube-token-planted');
  });

  it('ends a request whose answer trickles in past the deadline, body included', async () => {
    server.handle(trickle(JSON.stringify({ kind: 'ConfigMap', data: { a: 'x'.repeat(100) } }), 50));
    const started = Date.now();
    const error = await transport({ requestTimeoutMs: 300 })
      .send(get)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnreachableError);
    expect((error as Error).message).toBe(`GET ${server.baseUrl}${get.path}: timed out after 300ms`);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops reading an answer larger than the cap', async () => {
    server.handle(endless());
    const error = await transport({ maxResponseBytes: 1024 * 1024 })
      .send(get)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnreachableError);
    expect((error as Error).message).toContain('answer larger than 1 MiB; stopped reading');
  });

  it('is not stopped by a tick budget that ran out: the status write must still happen', async () => {
    const controller = new AbortController();
    controller.abort();
    const budget = { signal: controller.signal, budgetMs: 1, inFlight: new Set<string>() };
    const answer = await withCallBudget(budget, () => transport().send(get));
    expect(answer.status).toBe(200);
  });
});
