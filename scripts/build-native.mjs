// npm install hook: builds the native backend (build/Release/deepten.node) with node-gyp against the system BLAS.
// It never fails the install: without a compiler, Node headers or BLAS it prints one line and deepten runs on
// the TypeScript backend. binding.gyp also calls it (--cflags / --libs) for the BLAS compiler and linker flags.
// DEEPTEN_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`deepten: ${msg}`);

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** { cflags, libs } of an OpenBLAS (or other CBLAS) install, or null. */
function findBlas() {
  for (const pkg of ['openblas', 'cblas']) {
    const cflags = sh('pkg-config', ['--cflags', pkg]);
    const libs = sh('pkg-config', ['--libs', pkg]);
    if (cflags === null || libs === null) continue;
    const incs = cflags.split(/\s+/).filter((f) => f.startsWith('-I')).map((f) => f.slice(2));
    if (![...incs, '/usr/include', '/usr/local/include'].some((d) => existsSync(join(d, 'cblas.h')))) continue;
    // a library outside the linker's default path needs an rpath to be found at load time
    const rpaths = libs.split(/\s+/).filter((f) => f.startsWith('-L')).map((f) => `-Wl,-rpath,${f.slice(2)}`);
    return { cflags, libs: [libs, ...rpaths].join(' ') };
  }
  const arch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  for (const inc of [`/usr/include/${arch}/openblas-pthread`, '/usr/include/openblas', '/opt/homebrew/opt/openblas/include',
    '/usr/local/opt/openblas/include', '/usr/include', '/usr/local/include']) {
    if (!existsSync(join(inc, 'cblas.h'))) continue;
    const lib = inc.replace(/include(\/[^/]*)?(\/openblas(-pthread)?)?$/, 'lib$1$2');
    return { cflags: `-I${inc}`, libs: existsSync(lib) ? `-L${lib} -Wl,-rpath,${lib} -lopenblas` : '-lopenblas' };
  }
  return null;
}

if (process.argv[2] === '--cflags' || process.argv[2] === '--libs') {
  const blas = findBlas();
  console.log(blas ? (process.argv[2] === '--cflags' ? blas.cflags : blas.libs) : '');
  process.exit(0);
}

/** A directory holding include/node/node_api.h, so node-gyp downloads nothing. */
function nodeDir() {
  for (const d of ['/usr', resolve(dirname(process.execPath), '..')]) {
    if (existsSync(join(d, 'include', 'node', 'node_api.h'))) return d;
  }
  return null;
}

/** node-gyp's entry script: the one npm passes to install scripts, else the copy bundled with npm. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push('/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js', '/usr/share/nodejs/node-gyp/bin/node-gyp.js');
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

function main() {
  if (process.env.DEEPTEN_SKIP_NATIVE === '1') return say('DEEPTEN_SKIP_NATIVE=1, native backend not built; using the TypeScript backend');
  if (process.platform !== 'darwin' && !findBlas()) {
    return say('no BLAS found (install libopenblas-dev); native backend not built, using the TypeScript backend');
  }
  const dir = nodeDir();
  if (!dir) return say(`no Node headers next to ${process.execPath}; native backend not built, using the TypeScript backend`);
  const gyp = nodeGyp();
  if (!gyp) return say('node-gyp not found; native backend not built, using the TypeScript backend');
  const env = { ...process.env };
  if (!env.PYTHON && existsSync('/usr/bin/python3')) env.PYTHON = '/usr/bin/python3';
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${dir}`, '--jobs=max'], { cwd: root, env, encoding: 'utf8' });
  const log = join(root, 'build', 'native-build.log');
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, `${r.stdout ?? ''}\n${r.stderr ?? ''}\n${r.error ?? ''}`);
  if (r.status !== 0) return say(`native build failed (log: ${log}); using the TypeScript backend`);
  // a library that links but does not load (missing symbol, wrong BLAS) counts as a failed build
  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(root, 'build', 'Release', 'deepten.node'))})`], { encoding: 'utf8' });
  if (check.status !== 0) return say(`native addon built but does not load: ${(check.stderr.trim().split('\n')[0] ?? '')}; using the TypeScript backend`);
  say('native backend built (build/Release/deepten.node)');
}

try { main(); } catch (e) { say(`native build skipped (${e?.message ?? e}); using the TypeScript backend`); }
process.exit(0);
