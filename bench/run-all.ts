/**
 * `npm run bench`: every benchmark, one after the other, each in its own process so none inherits
 * another's warm JIT or heap. Each prints its own table with ratios against a baseline from the same run.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const BENCHMARKS = ['proxy-overhead', 'mirror', 'mirror-vs-nginx', 'tracing', 'control-plane'];

let failed = 0;
for (const name of BENCHMARKS) {
  process.stdout.write(`\n=== ${name} ===\n`);
  const run = spawnSync(process.execPath, [path.join(__dirname, `${name}.js`), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed++;
    process.stdout.write(`${name} failed (exit ${run.status ?? run.signal})\n`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
