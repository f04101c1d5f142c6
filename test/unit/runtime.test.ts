/**
 * The tests run on the Node the project ships on: npm scripts take `node` from the `node`
 * devDependency, so a test run on another Node means the set-up is broken (for instance a test
 * command started outside npm).
 */
import { readFileSync } from 'node:fs';

interface PackageJson {
  engines: { node: string };
  devDependencies: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;

describe('runtime', () => {
  it('is the Node of the node devDependency, which engines allows', () => {
    const pinned = pkg.devDependencies['node'];
    expect(process.versions.node).toBe(pinned);
    const major = Number(process.versions.node.split('.')[0]);
    expect(pkg.engines.node).toContain(`<${major + 1}`);
  });
});
