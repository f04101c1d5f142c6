/** Fledge's version, for `fledge_info`: read from the package.json the code ships with. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The `version` of the nearest `package.json` named `fledge` above this module: `src/` when run
 * from source, `dist/src/` when built (the image keeps package.json next to `dist/`). `unknown`
 * when there is none, so that a repackaged build still starts.
 */
export function packageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const parsed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (parsed.name === 'fledge' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // No (readable) package.json here: look further up.
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
