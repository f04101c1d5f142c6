#!/usr/bin/env node
/**
 * `npm run bench`: how many canaries one replica drives, what each step costs, how fast a bad
 * version is rolled back. Progress goes to stderr, the tables to stdout; `--json FILE` writes the
 * same figures as JSON. See `--help`.
 */
import { benchCommand } from './options.js';
import { runBench } from './run.js';

await benchCommand(async (settings) => {
  await runBench(settings);
}).parseAsync(process.argv);
