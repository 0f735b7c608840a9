// npm test: type-check, then run the whole suite once per backend (js always; native when the addon is built —
// and under CI=true the native backend is required, so a broken addon build fails CI instead of hiding).
// DEEPTEN_POISON=1 makes empty() fill new outputs with NaN, so an element a kernel forgets to write fails a test.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv.slice(2); // optional: test files or name filters
function testFiles(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? testFiles(p) : p.endsWith('.test.ts') ? [p] : [];
  }).sort();
}
const files = only.length ? only : testFiles('test');

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

if (!only.length && run('npx', ['tsc', '-p', '.', '--noEmit']) !== 0) process.exit(1);

const probe = spawnSync(process.execPath, ['--import', 'tsx', '-e',
  "import('./src/backend/index.ts').then(m => console.log(m.availableBackends().join(' ')))"], { encoding: 'utf8', env: { ...process.env, DEEPTEN_BACKEND: 'js' } });
const backends = (probe.stdout || 'js').trim().split(/\s+/);
if (process.env.CI === 'true' && !backends.includes('native')) {
  console.error('test: CI requires the native backend, but it is not available:\n' + probe.stderr);
  process.exit(1);
}

let failed = 0;
for (const b of backends) {
  console.log(`\n# deepten tests on the ${b} backend`);
  failed |= run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { DEEPTEN_BACKEND: b, DEEPTEN_POISON: '1' });
}
process.exit(failed ? 1 : 0);
