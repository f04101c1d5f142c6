import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { MetricQuery } from '../../../analysis/provider.js';
import { PrometheusProvider } from '../../../analysis/providers/prometheus.js';
import { InProcessScheduler } from '../../../src/scheduler/in-process-scheduler.js';
import { TickBudgetLogs, withTickBudget } from '../../../src/scheduler/tick-budget.js';
import { startHostileServer, trickle, type HostileServer } from '../../support/hostile-server.js';

const query: MetricQuery = { text: 'up', metric: 'm', namespace: 'ns', target: 't', intervalMs: 60_000 };
const answer = JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '1'] } });

/** A pino logger whose lines the test reads. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: HostileServer;
beforeEach(async () => {
  // A Prometheus that answers a byte every 100 ms: about 8 s for the whole answer.
  server = await startHostileServer(trickle(answer, 100));
});
afterEach(async () => {
  await server.stop();
});

describe('withTickBudget', () => {
  it('stops the outbound calls of a tick past its budget: the check fails naming what was slow', async () => {
    const { logger, lines } = capturedLogger();
    const provider = new PrometheusProvider({ address: server.baseUrl, timeoutMs: 30_000 });
    let message = '';
    const handler = withTickBudget(
      async () => {
        message = await provider.query(query).then(String, (e: Error) => e.message);
      },
      { budgetMs: 300, logger },
    );
    const started = Date.now();
    await handler('ns/a');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(message).toBe(
      `Prometheus at ${server.baseUrl} query for m failed: stopped: the tick's budget of 300ms ran out (query: up)`,
    );
    const warning = lines.find((l) => String(l.msg).startsWith(TickBudgetLogs.exceeded));
    expect(warning).toMatchObject({ canary: 'ns/a', inFlight: ['Prometheus query for m'] });
    expect(String(warning?.msg)).toContain('Prometheus query for m');
  });

  it('frees the slot of a tick that does not end, and skips that canary until it does', async () => {
    const { logger, lines } = capturedLogger();
    let release: () => void = () => undefined;
    const ran: string[] = [];
    const handler = withTickBudget(
      async (id) => {
        ran.push(id);
        if (id === 'ns/stuck') await new Promise<void>((r) => (release = r));
      },
      { budgetMs: 100, graceMs: 100, logger },
    );
    const started = Date.now();
    await handler('ns/stuck');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(lines.some((l) => l.level === 50 && String(l.msg).startsWith(TickBudgetLogs.abandoned))).toBe(
      true,
    );
    await handler('ns/stuck');
    await handler('ns/other');
    expect(ran).toEqual(['ns/stuck', 'ns/other']);
    expect(lines.some((l) => l.msg === TickBudgetLogs.skipped && l.canary === 'ns/stuck')).toBe(true);
    release();
    await sleep(10);
    await handler('ns/stuck');
    expect(ran).toEqual(['ns/stuck', 'ns/other', 'ns/stuck']);
  });

  it('refuses a budget that is not positive', () => {
    expect(() =>
      withTickBudget(async () => undefined, { budgetMs: 0, logger: pino({ level: 'silent' }) }),
    ).toThrow(RangeError);
  });
});

describe('slow Prometheus answers and the scheduler', () => {
  it('canaries whose Prometheus trickles cannot hold every slot: a healthy canary still ticks', async () => {
    const provider = new PrometheusProvider({ address: server.baseUrl, timeoutMs: 400 });
    const scheduler = new InProcessScheduler({ concurrency: 2 });
    const ticked: string[] = [];
    scheduler.start(
      withTickBudget(
        async (id) => {
          if (id !== 'ns/healthy') await provider.query(query).catch(() => undefined);
          ticked.push(id);
        },
        { budgetMs: 60_000, logger: pino({ level: 'silent' }) },
      ),
    );
    scheduler.schedule('ns/slow-1', 3_600_000);
    scheduler.schedule('ns/slow-2', 3_600_000);
    scheduler.schedule('ns/healthy', 3_600_000);
    const started = Date.now();
    while (!ticked.includes('ns/healthy') && Date.now() - started < 5_000) await sleep(20);
    await scheduler.stop();
    expect(ticked).toContain('ns/healthy');
    // Both slow ticks ended at the query's deadline (400 ms), not when the answer was complete (8 s).
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
