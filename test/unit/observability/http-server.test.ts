import { ControllerMetrics, statusCode } from '../../../src/observability/controller-metrics.js';
import { createHttpServer, parseListenAddress } from '../../../src/observability/http-server.js';
import type { Phase } from '../../../src/api/schema/canary.js';
import type { TickReport } from '../../../src/controller/tick-result.js';

describe('controller HTTP endpoints', () => {
  it('serves health, readiness and the canary metrics', async () => {
    const metrics = new ControllerMetrics({ processMetrics: false });
    let ready = false;
    let healthy = true;
    const app = createHttpServer({
      registry: metrics.registry,
      readiness: () => (ready ? { ready } : { ready, reason: 'waiting for the Canary cache to sync' }),
      health: () => (healthy ? { healthy } : { healthy, reason: 'the in-process scheduler is stopped' }),
    });
    const report = (target: string, phase: Phase, canary: number): TickReport => ({
      target,
      strategy: 'canary',
      skipAnalysis: false,
      phaseBefore: phase,
      phase,
      routes: { primary: 100 - canary, canary, mirrored: false },
    });
    metrics.recordTick(
      'test',
      'podinfo',
      { phase: 'Progressing', report: report('podinfo', 'Progressing', 20) },
      12,
    );
    metrics.recordTick('test', 'broken', { phase: 'Failed', report: report('broken', 'Failed', 0) }, 3);
    metrics.recordTick('test', 'broken', { phase: 'Failed', error: new Error('target not found') }, 3);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return { statusCode: response.status, body: await response.text() };
    };

    expect((await get('/healthz')).statusCode).toBe(200);
    const notReady = await get('/readyz');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.body).toBe('waiting for the Canary cache to sync');
    ready = true;
    expect((await get('/readyz')).statusCode).toBe(200);
    healthy = false;
    expect(await get('/healthz')).toEqual({ statusCode: 503, body: 'the in-process scheduler is stopped' });

    const body = (await get('/metrics')).body;
    expect(body).toContain('fledge_canary_weight{workload="podinfo",namespace="test"} 20');
    expect(body).toContain('fledge_canary_status{name="broken",namespace="test"} 2');
    expect(body).toContain('fledge_ticks_total{outcome="error"} 1');
    expect(body).toContain('fledge_tick_duration_seconds_count 3');

    expect((await get('/nowhere')).statusCode).toBe(404);
    const post = await fetch(`http://127.0.0.1:${port}/healthz`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const head = await fetch(`http://127.0.0.1:${port}/readyz`, { method: 'HEAD' });
    expect(head.status).toBe(200);

    metrics.forget('test', 'broken');
    expect((await get('/metrics')).body).not.toContain('name="broken"');
    await app.close();
  });

  it('encodes phases as Flagger does and parses listen addresses', () => {
    expect([statusCode('Progressing'), statusCode('Succeeded'), statusCode('Failed')]).toEqual([0, 1, 2]);
    expect(parseListenAddress(':8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseListenAddress('127.0.0.1:9')).toEqual({ host: '127.0.0.1', port: 9 });
    expect(() => parseListenAddress('8080x')).toThrow('listen address "8080x"');
  });
});
