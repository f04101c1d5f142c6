/**
 * What loading `fledge controller` costs: the built controller module imported in a fresh Node,
 * with every module it resolves recorded. README (Sizing) sizes a replica on this import graph:
 * no `@kubernetes/client-node` (its models and undici cost about 90 MB of RSS), bullmq and ioredis
 * only with `--redis-url`, no CLI, sandbox or demo module, and none of Node's bundled undici and
 * http2 (an ESM `import` of `node:http` reads its lazy `WebSocket` getter, which loads both).
 * Runs on the build, as the image does.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const CONTROLLER = pathToFileURL(join(process.cwd(), 'dist/src/cli/controller.js')).href;

/** Imports `url` in a child Node; returns the URLs of every module resolved and Node's own modules loaded. */
function importGraph(url: string): { urls: string[]; builtins: string[] } {
  const script = `
    import { registerHooks } from 'node:module';
    const urls = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); urls.push(r.url); return r; } });
    await import(${JSON.stringify(url)});
    process.stdout.write(JSON.stringify({ urls, builtins: process.moduleLoadList }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as { urls: string[]; builtins: string[] };
}

const graph = importGraph(CONTROLLER);
const packages = new Set(
  graph.urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []),
);
const fledgeModules = graph.urls.flatMap((u) => /\/dist\/(.+\.js)$/.exec(u)?.[1] ?? []);

it('loads the controller and its dependencies, as a check that the graph was recorded', () => {
  expect(fledgeModules).toContain('src/controller/reconciler.js');
  expect(packages).toContain('pino');
});

it('never loads @kubernetes/client-node, bullmq or ioredis', () => {
  expect([...packages].filter((p) => ['@kubernetes/client-node', 'bullmq', 'ioredis'].includes(p))).toEqual(
    [],
  );
});

it('loads no CLI verb, sandbox, demo, benchmark or test module', () => {
  const strays = fledgeModules.filter(
    (m) => /^(bench|test)\//.test(m) || /^src\/cli\/(ops|sandbox|demo)/.test(m) || /sandbox|demo/.test(m),
  );
  expect(strays).toEqual([]);
});

it("loads none of Node's bundled undici or http2", () => {
  expect(graph.builtins.filter((b) => /undici|http2/.test(b))).toEqual([]);
});
