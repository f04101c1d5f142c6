/**
 * Session affinity one tick at a time on the in-memory cluster: the VirtualService and the status
 * cookies at each step of a rollout, a rollback, a new revision and a promotion.
 */
import type { Harness } from './harness.js';
import { NS, harnessPerTest } from './harness.js';

const harness = harnessPerTest();

/** Cookie values in the order the controller asks for them. */
function values(): () => string {
  const made = ['AAAAAAAAAA', 'BBBBBBBBBB', 'CCCCCCCCCC', 'DDDDDDDDDD', 'EEEEEEEEEE'];
  let i = 0;
  return () => made[i++] ?? 'ZZZZZZZZZZ';
}

interface StoredRoute {
  name?: string;
  match?: { headers?: { Cookie?: { regex: string } } }[];
  headers?: { response?: { add?: Record<string, string> } };
  route: {
    destination: { host: string };
    weight: number;
    headers?: { response?: { add?: Record<string, string> } };
  }[];
}

/** One line per http route: name, cookie matched, weights, and the Set-Cookie answers. */
async function routesOf(h: Harness): Promise<string[]> {
  const vs = await h.virtualService<{ http: StoredRoute[] }>('podinfo');
  return vs!.spec.http.map((r) => {
    const cookie = r.match?.[0]?.headers?.Cookie?.regex;
    const sets = [
      r.headers?.response?.add?.['Set-Cookie'],
      ...r.route.map(
        (d) =>
          d.headers?.response?.add?.['Set-Cookie'] &&
          `${d.destination.host.replace('podinfo-', '')}: ${d.headers.response.add['Set-Cookie']}`,
      ),
    ].filter(Boolean);
    return [
      r.name ?? 'weighted',
      cookie ? `match ${cookie}` : '',
      r.route.map((d) => d.weight).join('/'),
      ...sets.map((s) => `set ${s}`),
    ]
      .filter(Boolean)
      .join(' | ');
  });
}

async function cookiesOf(h: Harness) {
  const s = (await h.canary('podinfo')).status ?? {};
  return {
    phase: s.phase,
    weight: s.canaryWeight,
    cookie: s.sessionAffinityCookie,
    previous: s.previousSessionAffinityCookie,
    primary: s.primarySessionAffinityCookie,
  };
}

const AFFINITY = { sessionAffinity: { cookieName: 'flagger-cookie', maxAge: 300 } };
const STICKY_A = 'sticky-route | match .*flagger-cookie.*AAAAAAAAAA.* | 0/100';
const EXPIRE_A =
  'sticky-route | match .*flagger-cookie.*AAAAAAAAAA.* | 100/0 | set flagger-cookie=AAAAAAAAAA; Max-Age=-1';
const issuing = (cookie: string, weights: string) =>
  `weighted | ${weights} | set canary: ${cookie}; Max-Age=300`;

/** One tick, then what the status and the VirtualService say. */
async function step(h: Harness) {
  await h.tick('podinfo');
  return { ...(await cookiesOf(h)), routes: await routesOf(h) };
}

describe('session affinity on the in-memory cluster', () => {
  it('creates the cookie at the first step, keeps it on every step, and expires it once promoted', async () => {
    const h = await harness({ cookieValue: values() });
    await h.install('podinfo', 'podinfo:1', AFFINITY);
    await h.tickUntil('podinfo', ['Initialized']);
    expect(await routesOf(h)).toEqual(['weighted | 100/0']);
    await h.setImage('podinfo', 'podinfo:2');
    const ticks = [];
    for (let i = 0; i < 7; i++) ticks.push(await step(h));
    const a = 'flagger-cookie=AAAAAAAAAA';
    expect(ticks).toEqual([
      { phase: 'Progressing', weight: 0, routes: ['weighted | 100/0'] },
      { phase: 'Progressing', weight: 10, cookie: a, routes: [STICKY_A, issuing(a, '90/10')] },
      { phase: 'Progressing', weight: 20, cookie: a, routes: [STICKY_A, issuing(a, '80/20')] },
      { phase: 'Progressing', weight: 30, cookie: a, routes: [STICKY_A, issuing(a, '70/30')] },
      // Users who got the new version stay on it while the primary is rolled out.
      { phase: 'Promoting', weight: 30, cookie: a, routes: [STICKY_A, issuing(a, '70/30')] },
      // All traffic back on the primary: the cookie is told to expire, as in Flagger.
      { phase: 'Finalising', weight: 0, previous: a, routes: [EXPIRE_A, 'weighted | 100/0'] },
      { phase: 'Succeeded', weight: 0, previous: a, routes: [EXPIRE_A, 'weighted | 100/0'] },
    ]);
  });

  it('gives the next revision a new cookie, keeping the previous one expired until then', async () => {
    const h = await harness({ cookieValue: values() });
    await h.install('podinfo', 'podinfo:1', AFFINITY);
    await h.tickUntil('podinfo', ['Initialized']);
    await h.setImage('podinfo', 'podinfo:2');
    await h.tickUntil('podinfo', ['Succeeded']);
    await h.setImage('podinfo', 'podinfo:3');
    const b = 'flagger-cookie=BBBBBBBBBB';
    const a = 'flagger-cookie=AAAAAAAAAA';
    expect([await step(h), await step(h)]).toEqual([
      { phase: 'Progressing', weight: 0, previous: a, routes: [EXPIRE_A, 'weighted | 100/0'] },
      {
        phase: 'Progressing',
        weight: 10,
        cookie: b,
        previous: a,
        routes: ['sticky-route | match .*flagger-cookie.*BBBBBBBBBB.* | 0/100', issuing(b, '90/10')],
      },
    ]);
  });

  it('expires the cookie on a rollback', async () => {
    const h = await harness({ cookieValue: values() });
    await h.startRollout('podinfo', { ...AFFINITY, threshold: 1 });
    expect(await step(h)).toMatchObject({ weight: 10, cookie: 'flagger-cookie=AAAAAAAAAA' });
    h.traffic.set(NS, 'podinfo', { errorRatePercent: 5 });
    expect(await step(h)).toEqual({
      phase: 'Failed',
      weight: 0,
      previous: 'flagger-cookie=AAAAAAAAAA',
      routes: [EXPIRE_A, 'weighted | 100/0'],
    });
  });

  it('gives a revision that replaces the one under analysis a new cookie', async () => {
    const h = await harness({ cookieValue: values() });
    await h.startRollout('podinfo', AFFINITY);
    await step(h);
    expect(await step(h)).toMatchObject({ weight: 20, cookie: 'flagger-cookie=AAAAAAAAAA' });
    await h.setImage('podinfo', 'podinfo:3');
    const b = 'flagger-cookie=BBBBBBBBBB';
    // The analysis restarts with all traffic on the primary: the old cookie is expired, then a new
    // one is issued with the first step.
    expect([await step(h), await step(h)]).toEqual([
      {
        phase: 'Progressing',
        weight: 0,
        previous: 'flagger-cookie=AAAAAAAAAA',
        routes: [EXPIRE_A, 'weighted | 100/0'],
      },
      {
        phase: 'Progressing',
        weight: 10,
        cookie: b,
        previous: 'flagger-cookie=AAAAAAAAAA',
        routes: ['sticky-route | match .*flagger-cookie.*BBBBBBBBBB.* | 0/100', issuing(b, '90/10')],
      },
    ]);
  });

  it('with primaryCookieName, keeps a primary cookie while the canary gets traffic', async () => {
    const h = await harness({ cookieValue: values() });
    await h.startRollout('podinfo', {
      sessionAffinity: { cookieName: 'canary-cookie', primaryCookieName: 'primary-cookie', maxAge: 300 },
    });
    const first = await step(h);
    const second = await step(h);
    const cookies = { cookie: 'canary-cookie=AAAAAAAAAA', primary: 'primary-cookie=BBBBBBBBBB' };
    expect(first).toMatchObject({ weight: 10, ...cookies });
    expect(second).toMatchObject({ weight: 20, ...cookies });
    expect(second.routes).toEqual([
      'sticky-route | match .*canary-cookie.*AAAAAAAAAA.* | 0/100',
      'sticky-route-primary | match .*primary-cookie.*BBBBBBBBBB.* | 100/0',
      'weighted | 80/20 | set primary: primary-cookie=BBBBBBBBBB; Max-Age=60 | set canary: canary-cookie=AAAAAAAAAA; Max-Age=300',
    ]);
    await h.tickUntil('podinfo', ['Succeeded']);
    expect(await cookiesOf(h)).toEqual({
      phase: 'Succeeded',
      weight: 0,
      previous: 'canary-cookie=AAAAAAAAAA',
    });
  });

  it('drops the cookies and their routes when sessionAffinity is removed', async () => {
    const h = await harness({ cookieValue: values() });
    await h.startRollout('podinfo', AFFINITY);
    expect(await step(h)).toMatchObject({ weight: 10, cookie: 'flagger-cookie=AAAAAAAAAA' });
    const canary = await h.canary('podinfo');
    delete canary.spec.analysis.sessionAffinity;
    await h.cluster.replace(canary);
    expect(await step(h)).toEqual({ phase: 'Progressing', weight: 20, routes: ['weighted | 80/20'] });
  });
});
