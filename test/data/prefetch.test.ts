// Prefetcher: batches built in worker threads are bit-identical to batches built in the main thread (and to the
// original per-image crop/flip code), a prefetching run interrupted mid-epoch resumes onto the same batches as an
// uninterrupted run without prefetch, leaving early never hangs the process, and worker failures are named.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { Generator } from '../../src/random.ts';
import { DataLoader, type LoaderState } from '../../src/data/loader.ts';
import { randomCrop, randomHorizontalFlip, normalize, drawAugmentParams, augmentBatch, type AugmentSpec, type ImageShape } from '../../src/data/transforms.ts';
import { Prefetcher, prefetch, toShared } from '../../src/data/prefetch.ts';
import { buildImageBatch, shareImageBatchData, imageBatchWorker, type ImageBatch, type ImageBatchData, type ImageBatchJob } from '../../src/data/image-batch.ts';
import { trainClassifier } from '../../src/train/classify.ts';
import { mlpSpec } from '../../src/train/recipes/classifiers.ts';
import type { RngState } from '../../src/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'deepten-prefetch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Small plain-JS worker modules for the generic API.
const echoWorker = join(dir, 'echo.mjs');
writeFileSync(echoWorker, `export default function setup(data) {
  return (job) => {
    if (job === data.failAt) throw new Error('no pixels for job ' + job);
    return { v: new Float64Array([job, data.shared[0]]) };
  };
}`);
const crashWorker = join(dir, 'crash.mjs');
writeFileSync(crashWorker, `export default function setup() {
  return (job) => { setTimeout(() => { throw new Error('worker lost its mind at job ' + job); }); return new Promise(() => {}); };
}`);

const sameBits = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function randomImages(n: number, shape: ImageShape, seed: number): Float32Array {
  const g = new Generator(seed);
  return Float32Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => Math.round(g.random() * 255) / 255);
}

/** src/train/classify.ts's makeBatch before the prefetch change, verbatim apart from taking its settings as arguments. */
function originalMakeBatch(d: { images: Float32Array; labels: Int32Array; rows: number; cols: number }, idx: Int32Array, cfg: { cropPadding: number; flip: boolean; mean: number; std: number }, augment: Generator | null): [Float32Array, Int32Array] {
  const px = d.rows * d.cols;
  const x = new Float32Array(idx.length * px);
  const y = new Int32Array(idx.length);
  const shape = [1, d.rows, d.cols] as const;
  for (let b = 0; b < idx.length; b++) {
    let img: ArrayLike<number> = d.images.subarray(idx[b] * px, (idx[b] + 1) * px);
    if (augment && cfg.cropPadding > 0) img = randomCrop(img, shape, [d.rows, d.cols], cfg.cropPadding, augment);
    if (augment && cfg.flip) img = randomHorizontalFlip(img, shape, augment);
    for (let i = 0; i < px; i++) x[b * px + i] = (img[i] - cfg.mean) / cfg.std;
    y[b] = d.labels[idx[b]];
  }
  return [x, y];
}

test('drawn parameters + augmentBatch equal the original makeBatch: same floats, same generator state', () => {
  const n = 40, rows = 9, cols = 7;
  const d = { images: randomImages(n, [1, rows, cols], 1), labels: Int32Array.from({ length: n }, (_, i) => i % 10), rows, cols };
  const data: ImageBatchData = { images: d.images, labels: d.labels, shape: [1, rows, cols], mean: [0.1307], std: [0.3081] };
  const idx = Int32Array.from([3, 17, 0, 39, 17, 8, 22, 5]);
  for (const [cropPadding, flip] of [[2, true], [3, false], [0, true], [0, false]] as const) {
    const cfg = { cropPadding, flip, mean: 0.1307, std: 0.3081 };
    const g1 = new Generator(5), g2 = new Generator(5);
    for (let rep = 0; rep < 3; rep++) { // several batches from one generator: the draws must stay in step
      const [x, y] = originalMakeBatch(d, idx, cfg, g1);
      const spec: AugmentSpec = { crop: cropPadding > 0 ? { size: [rows, cols], padding: cropPadding } : undefined, flip: flip ? 0.5 : undefined };
      const aug = cropPadding > 0 || flip ? drawAugmentParams(idx.length, data.shape, spec, g2) : null;
      const b = buildImageBatch(data, { idx, aug });
      assert.ok(sameBits(b.x, x), `pixels, padding ${cropPadding} flip ${flip} batch ${rep}`);
      assert.deepEqual(b.y, y);
      assert.deepEqual(g2.getState(), g1.getState(), 'generator state after the draws');
    }
  }
  // evaluation batches (no generator) too
  const cfg = { cropPadding: 2, flip: true, mean: 0.5, std: 0.25 };
  assert.ok(sameBits(buildImageBatch({ ...data, mean: [0.5], std: [0.25] }, { idx, aug: null }).x, originalMakeBatch(d, idx, cfg, null)[0]));
});

test('augmentBatch handles C channels and crops smaller than the image like randomCrop → randomHorizontalFlip → normalize', () => {
  const shape: ImageShape = [3, 6, 5], n = 12;
  const images = randomImages(n, shape, 2);
  const mean = [0.4914, 0.4822, 0.4465], std = [0.247, 0.243, 0.261];
  const idx = Int32Array.from([11, 0, 4, 4, 7]);
  for (const spec of [{ crop: { size: [4, 3] as const, padding: 1 }, flip: 0.5 }, { crop: { size: 5, padding: 0 } }, { flip: 0.3 }] as AugmentSpec[]) {
    const g1 = new Generator(9), g2 = new Generator(9);
    const want: Float32Array[] = [];
    for (const i of idx) {
      let img: Float32Array = images.subarray(i * 90, (i + 1) * 90);
      let s = shape;
      if (spec.crop) {
        const [th, tw] = typeof spec.crop.size === 'number' ? [spec.crop.size, spec.crop.size] : spec.crop.size;
        img = randomCrop(img, s, spec.crop.size, spec.crop.padding, g1);
        s = [3, th, tw];
      }
      if (spec.flip !== undefined) img = randomHorizontalFlip(img, s, g1, spec.flip);
      want.push(normalize(img, s, mean, std));
    }
    const params = drawAugmentParams(idx.length, shape, spec, g2);
    const got = augmentBatch(images, shape, idx, params, mean, std);
    const flat = new Float32Array(want.reduce((t, w) => t + w.length, 0));
    want.reduce((o, w) => (flat.set(w, o), o + w.length), 0);
    assert.ok(sameBits(got, flat), JSON.stringify(spec));
    assert.deepEqual(g2.getState(), g1.getState());
  }
});

test('augmentBatch and drawAugmentParams name themselves and the problem on bad input', () => {
  const shape: ImageShape = [1, 2, 2];
  const images = new Float32Array(8);
  assert.throws(() => augmentBatch(images, shape, [2], null, [0], [1]), /augmentBatch: index 2 is out of range for 2 images/);
  assert.throws(() => augmentBatch(images, shape, [0], null, [0, 0], [1, 1]), /augmentBatch: need 1 means and stds for shape \[1, 2, 2\], got 2 and 2/);
  assert.throws(() => augmentBatch(images.subarray(0, 7), shape, [0], null, [0], [1]), /augmentBatch: 7 values are not whole images of shape \[1, 2, 2\]/);
  assert.throws(() => augmentBatch(images, shape, [0], null, [0], [0]), /augmentBatch: std must be positive/);
  const p = drawAugmentParams(2, shape, { flip: 0.5 }, new Generator(0));
  assert.throws(() => augmentBatch(images, shape, [0], p, [0], [1]), /augmentBatch: params.flip has 2 entries for a batch of 1/);
  assert.throws(() => drawAugmentParams(1, shape, { crop: { size: 5, padding: 1 } }, new Generator(0)), /cropParams: crop 5×5 does not fit the padded 4×4 image/);
  assert.throws(() => drawAugmentParams(1, shape, { flip: 2 }, new Generator(0)), /drawAugmentParams: flip probability must be in \[0, 1\], got 2/);
});

// An image dataset, a shuffling loader and an augmentation generator, as the classifier loop has them.
const shape: ImageShape = [3, 8, 8];
const N = 50;
const images = randomImages(N, shape, 3);
const labels = Int32Array.from({ length: N }, (_, i) => (i * 7) % 10);
const data: ImageBatchData = shareImageBatchData({ images, labels, shape, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] });
const spec: AugmentSpec = { crop: { size: [8, 8], padding: 2 }, flip: 0.5 };
type Snap = { loader: LoaderState; augment: RngState };

function pipeline() {
  const loader = new DataLoader<number, Int32Array>({ length: N, get: (i) => i }, { batchSize: 8, shuffle: true, dropLast: true, seed: 11, collate: (_i, idx) => idx });
  const augment = new Generator(12);
  function* jobs(): IterableIterator<ImageBatchJob> {
    for (const idx of loader) yield { idx, aug: drawAugmentParams(idx.length, shape, spec, augment) };
  }
  const snapshot = (): Snap => ({ loader: loader.state(), augment: augment.getState() });
  return { loader, augment, jobs, snapshot };
}

/** Runs `epochs` epochs as the training loop does (stopping after `stopAfter` batches if given); returns the batches and the state to save. */
async function run(depth: number, epochs: number, opts: { workers?: number; stopAfter?: number; resume?: Snap } = {}): Promise<{ batches: ImageBatch[]; state: Snap }> {
  const p = pipeline();
  if (opts.resume) { p.loader.setState(opts.resume.loader); p.augment.setState(opts.resume.augment); }
  const pf = new Prefetcher<ImageBatchJob, ImageBatch>({ worker: imageBatchWorker, workerData: data, depth, workers: opts.workers, name: 'test batches' });
  const batches: ImageBatch[] = [];
  try {
    while (p.loader.currentEpoch < epochs && batches.length !== opts.stopAfter) {
      const stream = pf.iterate(p.jobs(), { snapshot: p.snapshot });
      for await (const b of stream) {
        batches.push(b);
        if (batches.length === opts.stopAfter) break;
      }
      p.loader.setState(stream.state!.loader);
      p.augment.setState(stream.state!.augment);
    }
  } finally { await pf.close(); }
  return { batches, state: p.snapshot() };
}

function assertSameBatches(got: ImageBatch[], want: ImageBatch[]) {
  assert.equal(got.length, want.length, 'number of batches');
  got.forEach((b, i) => { assert.ok(sameBits(b.x, want[i].x), `batch ${i} pixels`); assert.deepEqual(b.y, want[i].y, `batch ${i} labels`); });
}

test('batches from workers (any depth, several workers) are bit-identical to the in-thread ones and to direct building', async () => {
  const ref = await run(0, 2);
  assert.equal(ref.batches.length, 12);
  // direct: the same draws and buildImageBatch, no Prefetcher
  const p = pipeline();
  const direct: ImageBatch[] = [];
  for (let e = 0; e < 2; e++) for (const job of p.jobs()) direct.push(buildImageBatch(data, job));
  assertSameBatches(ref.batches, direct);
  for (const [depth, workers] of [[1, 1], [5, 2]]) {
    const r = await run(depth, 2, { workers });
    assertSameBatches(r.batches, ref.batches);
    assert.deepEqual(r.state, ref.state, `state after the run, depth ${depth}`);
  }
});

test('a prefetching run stopped mid-epoch resumes onto the batches of an uninterrupted run without prefetch', async () => {
  const ref = await run(0, 3);
  // 6 batches an epoch: stop mid-epoch (batch 9 = 3rd of epoch 1) and on epoch 0's last batch (6)
  for (const [stop, depth] of [[9, 3], [6, 2]]) {
    const first = await run(depth, 3, { stopAfter: stop });
    assert.equal(first.batches.length, stop);
    // a checkpoint travels through JSON
    const saved = JSON.parse(JSON.stringify(first.state)) as Snap;
    const rest = await run(2, 3, { resume: saved });
    assertSameBatches([...first.batches, ...rest.batches], ref.batches);
  }
});

test('stream.state is the snapshot of the last consumed batch, not of the jobs drawn ahead', async () => {
  let drawn = 0; // stands for the loader and generator state: advanced by every job pulled
  function* jobs() { for (const j of [10, 11, 12, 13, 14]) { drawn++; yield j; } }
  const pf = new Prefetcher<number, { v: Float64Array }>({ worker: echoWorker, workerData: { shared: new Float64Array(1) }, depth: 3 });
  try {
    const s = pf.iterate(jobs(), { snapshot: () => drawn });
    assert.equal(s.state, 0);
    const seen: number[] = [];
    for await (const b of s) {
      seen.push(b.v[0]);
      assert.equal(s.state, seen.length, 'the state right after drawing the consumed job');
      assert.equal(drawn, Math.min(5, seen.length + 3), 'jobs are drawn `depth` ahead');
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, [10, 11]);
    assert.equal(s.state, 2);
    // after break the stream is over; a new one can start on the same workers
    assert.deepEqual((await s.next()).done, true);
    const again: number[] = [];
    for await (const b of pf.iterate([20, 21])) again.push(b.v[0]);
    assert.deepEqual(again, [20, 21]);
  } finally { await pf.close(); }
});

test('the worker reads the dataset from shared memory (no copy), and toShared copies only unshared arrays', async () => {
  const shared = toShared(new Float64Array([1]));
  assert.ok(shared.buffer instanceof SharedArrayBuffer);
  assert.equal(toShared(shared), shared);
  assert.ok(sameBits(toShared(new Int32Array([5, -6])), new Int32Array([5, -6])));
  const s = prefetch<number, { v: Float64Array }>([0, 1], { worker: echoWorker, workerData: { shared }, depth: 1 });
  shared[0] = 42; // written after the worker received its workerData
  const got: number[] = [];
  for await (const b of s) got.push(b.v[1]);
  assert.deepEqual(got, [42, 42]);
});

test('failures name the Prefetcher and the cause; nothing is left as an unhandled rejection', async () => {
  let unhandled = 0;
  const onUnhandled = () => { unhandled++; };
  process.on('unhandledRejection', onUnhandled);
  try {
    // a job that throws in the worker: the batches before it still arrive
    for (const depth of [0, 2]) {
      const got: number[] = [];
      const s = prefetch<number, { v: Float64Array }>([0, 1, 2, 3, 4], { worker: echoWorker, workerData: { shared: new Float64Array(1), failAt: 2 }, depth, name: 'mnist train batches' });
      await assert.rejects(async () => { for await (const b of s) got.push(b.v[0]); }, (e: Error) => {
        assert.match(e.message, depth ? /^Prefetcher 'mnist train batches': job 2 failed in worker 0: no pixels for job 2$/ : /^Prefetcher 'mnist train batches': job 2 failed: no pixels for job 2$/);
        assert.match((e.cause as Error).message, /no pixels for job 2/);
        return true;
      });
      assert.deepEqual(got, [0, 1]);
    }
    // a worker module that cannot be loaded
    const missing = new Prefetcher<number, unknown>({ worker: join(dir, 'nope.mjs'), name: 'cifar batches' });
    await assert.rejects(async () => { for await (const _ of missing.iterate([1])) { /* */ } }, /^Error: Prefetcher 'cifar batches': worker 0 failed: Cannot find module .*nope\.mjs/);
    assert.throws(() => missing.iterate([1]), /Prefetcher 'cifar batches': worker 0 failed/);
    const missingHere = prefetch<number, unknown>([1], { worker: join(dir, 'nope.mjs'), depth: 0, name: 'in-thread' });
    await assert.rejects(async () => { for await (const _ of missingHere) { /* */ } }, /^Error: Prefetcher 'in-thread': cannot set up file:.*nope\.mjs: Cannot find module/);
    // a worker that crashes outside a job, while later jobs are in flight
    const crash = new Prefetcher<number, unknown>({ worker: crashWorker, depth: 3, name: 'crashy' });
    await assert.rejects(async () => { for await (const _ of crash.iterate([1, 2, 3])) { /* */ } }, /^Error: Prefetcher 'crashy': worker 0 failed: worker lost its mind at job 1$/);
    await crash.close();
    // a job that cannot be sent
    const s = prefetch<unknown, unknown>([() => 1], { worker: echoWorker, workerData: { shared: new Float64Array(1) }, name: 'fn' });
    await assert.rejects(async () => { for await (const _ of s) { /* */ } }, /Prefetcher 'fn': job 0 cannot be sent to a worker: .*could not be cloned/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(unhandled, 0);
  } finally { process.removeListener('unhandledRejection', onUnhandled); }
});

test('bad options and overlapping iterations are refused by name', async () => {
  assert.throws(() => new Prefetcher({ worker: echoWorker, depth: -1, name: 'x' }), /Prefetcher 'x': depth must be a non-negative integer, got -1/);
  assert.throws(() => new Prefetcher({ worker: echoWorker, workers: 0, name: 'x' }), /Prefetcher 'x': workers must be a positive integer, got 0/);
  const pf = new Prefetcher<number, unknown>({ worker: echoWorker, workerData: { shared: new Float64Array(1) }, depth: 0, name: 'y' });
  const s = pf.iterate([1, 2]);
  await s.next();
  assert.throws(() => pf.iterate([3]), /Prefetcher 'y': the previous iteration is still running/);
  await s.return();
  await pf.close();
  assert.throws(() => pf.iterate([3]), /Prefetcher 'y': closed/);
});

// Child processes: leaving a loop early must let the process exit, from both ways the project loads TypeScript.
const root = new URL('../..', import.meta.url);
const src = (p: string) => new URL(p, root).href;
function child(args: string[], cwd: string) {
  return spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_OPTIONS: '', NODE_TEST_CONTEXT: undefined } });
}
const body = (closeIt: boolean) => `
  const { Prefetcher } = await import(${JSON.stringify(src('src/data/prefetch.ts'))});
  const { imageBatchWorker } = await import(${JSON.stringify(src('src/data/image-batch.ts'))});
  const data = { images: new Float32Array(4 * 4), labels: new Int32Array(4), shape: [1, 2, 2], mean: [0], std: [1] };
  const pf = new Prefetcher({ worker: imageBatchWorker, workerData: data, depth: 2, name: 'child' });
  const jobs = (function* () { for (let i = 0; ; i++) yield { idx: Int32Array.of(i % 4), aug: null }; })();
  let n = 0;
  for await (const b of pf.iterate(jobs)) { n += b.y.length; if (n === 3) break; }
  ${closeIt ? 'await pf.close();' : '/* no close(): idle workers must not keep the process alive */'}
  console.log('left after', n);`;

test('breaking out early never hangs the process (node --import tsx, and tsx register() as bin/deepten.mjs does)', () => {
  // as the test runner runs TypeScript, without close()
  const a = child(['--import', 'tsx', '--input-type=module', '-e', body(false)], new URL('.', root).pathname);
  assert.equal(a.signal, null, 'not killed by the timeout');
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stdout, /left after 3/);
  // as the CLI does it (programmatic register), from another working directory, with close()
  const tsxApi = pathToFileURL(join(new URL('.', root).pathname, 'node_modules/tsx/dist/esm/api/index.mjs')).href;
  const b = child(['--input-type=module', '-e', `const { register } = await import(${JSON.stringify(tsxApi)}); register();\n${body(true)}`], tmpdir());
  assert.equal(b.signal, null, 'not killed by the timeout');
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /left after 3/);
});

test('trainClassifier gives the same weights with and without prefetch, and resumes a prefetching run bit-identically', async () => {
  const set = { trainLimit: '192', testLimit: '64', 'model.hidden': '16', epochs: '3', cropPadding: '2', flip: 'true' };
  const a = join(dir, 'a'), b = join(dir, 'b'), c = join(dir, 'c');
  await trainClassifier(mlpSpec, { maxSteps: 14, batchSize: 32, out: a, set: { ...set, prefetch: '0' } });
  await trainClassifier(mlpSpec, { maxSteps: 14, batchSize: 32, out: b, set: { ...set, prefetch: '3' } });
  await trainClassifier(mlpSpec, { maxSteps: 8, batchSize: 32, out: c, set: { ...set, prefetch: '2' } }); // stops mid-epoch 1
  await trainClassifier(mlpSpec, { resume: c, maxSteps: 14 });
  const weights = readFileSync(join(a, 'model.safetensors'));
  assert.ok(weights.equals(readFileSync(join(b, 'model.safetensors'))), 'prefetch 3 vs 0');
  assert.ok(weights.equals(readFileSync(join(c, 'model.safetensors'))), 'prefetch 2, stopped at step 8 and resumed, vs uninterrupted prefetch 0');
});
