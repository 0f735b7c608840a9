// The PTB small LSTM step, deepten against PyTorch, back to back on the same machine and the same data:
//   node --import tsx bench/lstm_ptb.ts [--steps 60] [--rounds 3] [--threads 1,2] [--data DIR]
// Each round runs, one after another, deepten-native (a child process with DEEPTEN_THREADS=t) and PyTorch
// (bench/lstm_ptb.py with torch.set_num_threads(t)) for every thread count t, each doing a few warm-up steps and
// then `steps` training steps of src/train/recipes/lstm.ts's default recipe on the first windows of ptb.train.txt.
// OPENBLAS_CORETYPE is set for both as deepten's loader sets it. Prints wall and CPU ms per step (medians over
// rounds), the projected seconds per epoch (× the recipe's windows per epoch) and deepten ÷ PyTorch.
// With --worker it is the deepten side itself.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : def; };
const steps = Number(arg('steps', '60')), skip = 5;
const data = arg('data', process.env.DEEPTEN_DATA ? join(process.env.DEEPTEN_DATA, 'ptb') : join(root, '../shared/data/ptb'));

interface Row { library: string; threads: number; steps: number; wallPerStep: number; cpuPerStep: number; windowsPerEpoch: number; loss: number }

async function worker(): Promise<void> {
  const { loadPtb } = await import('../src/data/index.ts');
  const { manualSeed } = await import('../src/random.ts');
  const { crossEntropy } = await import('../src/ops/loss.ts');
  const { SGD, clipGradNorm } = await import('../src/optim/index.ts');
  const { LstmLanguageModel, detachState } = await import('../src/models/lstm.ts');
  const { StreamBatches } = await import('../src/train/lm.ts');
  const { LSTM_PRESETS } = await import('../src/train/recipes/lstm.ts');
  const { backend } = await import('../src/backend/index.ts');
  const c = LSTM_PRESETS.small;
  const d = loadPtb({ dataDir: data });
  manualSeed(c.seed);
  const V = d.vocab.size;
  const model = new LstmLanguageModel({ vocabSize: V, embedSize: c.embedSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, dropout: c.dropout, tieWeights: c.tieWeights, initRange: c.initRange });
  const params = model.parameters();
  const opt = new SGD(params, { lr: c.lr });
  const batches = new StreamBatches(d.train, c.batchSize, c.numSteps);
  let state: ReturnType<typeof detachState> | null = null, loss = 0, w0 = 0, c0 = process.cpuUsage();
  for (let i = 0; i < skip + steps; i++) {
    if (i === skip) { w0 = performance.now(); c0 = process.cpuUsage(); }
    const [x, y] = batches.window(i);
    const [logits, next] = model.forward(x, state);
    state = detachState(next);
    const l = crossEntropy(logits.reshape([y.size, V]), y.reshape([y.size]));
    opt.zeroGrad();
    l.mul(c.numSteps).backward();
    clipGradNorm(params, c.clip);
    opt.step();
    loss = l.item();
  }
  const wall = (performance.now() - w0) / 1000, u = process.cpuUsage(c0);
  const row: Row = { library: `deepten-${backend().name}`, threads: backend().info().threads, steps, wallPerStep: wall / steps, cpuPerStep: (u.user + u.system) / 1e6 / steps, windowsPerEpoch: batches.fullWindows, loss };
  process.stdout.write(JSON.stringify(row) + '\n');
}

function coreType(): string | null {
  if (process.env.OPENBLAS_CORETYPE) return process.env.OPENBLAS_CORETYPE;
  const flags = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags')) ?? '';
  return /\bavx512f\b/.test(flags) ? 'SkylakeX' : /\bavx2\b/.test(flags) ? 'Haswell' : null;
}

function runOne(lib: 'deepten' | 'pytorch', t: number): Row {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(t), ...(coreType() ? { OPENBLAS_CORETYPE: coreType()! } : {}) };
  const r = lib === 'deepten'
    ? spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker', '--steps', String(steps), '--data', data],
      { cwd: root, env: { ...env, DEEPTEN_BACKEND: 'native', DEEPTEN_THREADS: String(t) }, encoding: 'utf8' })
    : spawnSync('/usr/bin/python3', [join(root, 'bench/lstm_ptb.py'), '--data', data, '--threads', String(t), '--steps', String(steps), '--skip', String(skip)], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${lib} (${t} threads) failed: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

async function main(): Promise<void> {
  const rounds = Number(arg('rounds', '3')), threads = arg('threads', '1,2').split(',').map(Number);
  const load0 = loadavg()[0];
  const rows: Row[] = [];
  for (let k = 0; k < rounds; k++) {
    for (const t of threads) {
      for (const lib of ['deepten', 'pytorch'] as const) {
        const r = runOne(lib, t);
        rows.push(r);
        process.stderr.write(`round ${k + 1} ${r.library} ${t}t: ${(1000 * r.wallPerStep).toFixed(1)} ms/step wall, ${(1000 * r.cpuPerStep).toFixed(1)} ms cpu\n`);
      }
    }
  }
  console.log(`PTB small training step, ${steps} steps after ${skip} warm-up, median of ${rounds} rounds; OPENBLAS_CORETYPE ${coreType()}; load average ${load0.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end`);
  console.log('library        threads  wall ms/step  cpu ms/step  projected s/epoch (wall)');
  const best: Record<string, number> = {};
  for (const lib of ['deepten-native', 'pytorch']) {
    for (const t of threads) {
      const mine = rows.filter((r) => r.library.startsWith(lib) && r.threads === t);
      if (!mine.length) continue;
      const wall = median(mine.map((r) => r.wallPerStep)), cpu = median(mine.map((r) => r.cpuPerStep));
      const epoch = wall * mine[0].windowsPerEpoch;
      best[lib] = Math.min(best[lib] ?? Infinity, wall);
      console.log(`${lib.padEnd(15)}${String(t).padStart(7)}${(1000 * wall).toFixed(1).padStart(14)}${(1000 * cpu).toFixed(1).padStart(13)}${epoch.toFixed(0).padStart(14)}`);
    }
  }
  console.log(`deepten ÷ PyTorch (each at its best thread count, wall per step): ${(best['deepten-native'] / best.pytorch).toFixed(2)}`);
}

if (process.argv.includes('--worker')) await worker();
else await main();
