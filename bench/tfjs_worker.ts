// TensorFlow.js's side of the bench: the same workloads with tf ops and tf's own autograd (tf.variableGrads,
// optimizer.minimize). Usage: tfjs_worker.ts --backend cpu|wasm --out FILE --only a,b [--quick].
// Convolutions use NHWC, tfjs's layout (same sizes as the NCHW ones elsewhere). The wasm binaries are loaded
// from node_modules; nothing is downloaded.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { emitMeta, emitNote, runWorkloads, timingOptions, workerArgs, type WorkerArgs } from './common.ts';

const args: WorkerArgs = workerArgs();
const which = args.rest[args.rest.indexOf('--backend') + 1];
if (which !== 'cpu' && which !== 'wasm') throw new Error(`tfjs_worker: --backend cpu|wasm, got ${which}`);

const req = createRequire(import.meta.url);
const version = (req('@tensorflow/tfjs-core/package.json') as { version: string }).version;

// tfjs-core's Node bundle registers no gradients (the @tensorflow/tfjs umbrella does, via
// dist/register_all_gradients.js, an ES module written for bundlers that Node cannot load as is). So bundle that
// module with esbuild (tsx's own dependency) once into the temp dir; its copy of core shares the engine and the
// gradient registry with ours, which tfjs keeps on globalThis precisely so several copies can coexist.
const gradsFile = join(tmpdir(), `deepten-bench-tfjs-grads-${version}.mjs`);
if (!existsSync(gradsFile)) {
  buildSync({ entryPoints: [req.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js')], bundle: true,
    format: 'esm', platform: 'node', outfile: gradsFile, logLevel: 'error' });
}
await import(pathToFileURL(gradsFile).href);

if (which === 'wasm') {
  setWasmPaths(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
}
if (!(await tf.setBackend(which))) throw new Error(`tfjs_worker: backend ${which} failed to initialize`);
await tf.ready();
tf.env().set('DEBUG', false);
tf.enableProdMode();

const randn = (shape: number[], std: number) => tf.randomNormal(shape, 0, std, 'float32', 1);
const vari = (shape: number[], std: number) => tf.variable(randn(shape, std));
const glorot = (fanIn: number) => 1 / Math.sqrt(fanIn);

/** Runs fn inside tidy and waits for its outputs (cpu and wasm are synchronous; dataSync is the barrier). */
function sync(fn: () => tf.Tensor | tf.Tensor[]): void {
  tf.tidy(() => {
    const out = fn();
    for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
  });
}

/** value and gradients of Σ f() with respect to vars. */
function fwdBwd(vars: tf.Variable[], f: () => tf.Scalar): () => void {
  return () => sync(() => {
    const { value, grads } = tf.variableGrads(f, vars);
    return [value, ...Object.values(grads)];
  });
}

function sgemm(n: number) {
  return () => {
    const a = randn([n, n], 1), b = randn([n, n], 1);
    return () => sync(() => tf.matMul(a, b));
  };
}

function convLayer(n: number, cIn: number, hw: number, cOut: number, k: number, pad: 'valid' | 'same') {
  return () => {
    const x = vari([n, hw, hw, cIn], 1), w = vari([k, k, cIn, cOut], glorot(cIn * k * k));
    return fwdBwd([x, w], () => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, pad)));
  };
}

function lstm() {
  const seq = 20, batch = 20, input = 200, hidden = 200, layers = 2;
  return () => {
    const s = glorot(hidden);
    const ps = Array.from({ length: layers }, (_, l) => ({
      wih: vari([l === 0 ? input : hidden, 4 * hidden], s), whh: vari([hidden, 4 * hidden], s), b: vari([4 * hidden], s),
    }));
    const x = randn([seq, batch, input], 1);
    const vars = ps.flatMap((p) => [p.wih, p.whh, p.b]);
    return fwdBwd(vars, () => {
      let inp: tf.Tensor = x;
      for (const p of ps) {
        const xp = tf.reshape(tf.add(tf.matMul(tf.reshape(inp, [seq * batch, -1]), p.wih), p.b), [seq, batch, 4 * hidden]);
        const steps = tf.unstack(xp);
        let h: tf.Tensor = tf.zeros([batch, hidden]), c: tf.Tensor = tf.zeros([batch, hidden]);
        const hs: tf.Tensor[] = [];
        for (let t = 0; t < seq; t++) {
          const [i, f, g, o] = tf.split(tf.add(steps[t], tf.matMul(h, p.whh)), 4, 1);
          c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
          h = tf.mul(tf.sigmoid(o), tf.tanh(c));
          hs.push(h);
        }
        inp = tf.stack(hs, 0);
      }
      return tf.sum(inp) as tf.Scalar;
    });
  };
}

/** LayerNorm over the last axis (tfjs-core has no layer-norm op): (x − μ)/√(σ² + eps)·γ + β. */
function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
}

function transformer() {
  const B = 12, S = 64, Dm = 128, H = 4, dh = Dm / H, FF = 512;
  return () => {
    const wqkv = vari([Dm, 3 * Dm], glorot(Dm)), bqkv = vari([3 * Dm], 0.02);
    const wo = vari([Dm, Dm], glorot(Dm)), bo = vari([Dm], 0.02);
    const w1 = vari([Dm, FF], glorot(Dm)), b1 = vari([FF], 0.02), w2 = vari([FF, Dm], glorot(FF)), b2 = vari([Dm], 0.02);
    const g1 = tf.variable(tf.ones([Dm])), be1 = tf.variable(tf.zeros([Dm]));
    const g2 = tf.variable(tf.ones([Dm])), be2 = tf.variable(tf.zeros([Dm]));
    const x = randn([B * S, Dm], 1);
    return fwdBwd([wqkv, bqkv, wo, bo, w1, b1, w2, b2, g1, be1, g2, be2], () => {
      const qkv = tf.transpose(tf.reshape(tf.add(tf.matMul(x, wqkv), bqkv), [B, S, 3, H, dh]), [2, 0, 3, 1, 4]);
      const [q, k, v] = tf.unstack(qkv);
      const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
      const att = tf.matMul(tf.softmax(scores, -1), v); // (B, H, S, dh)
      const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B * S, Dm]);
      const h1 = layerNorm(tf.add(x, tf.add(tf.matMul(merged, wo), bo)), g1, be1);
      const ff = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(h1, w1), b1)), w2), b2);
      return tf.sum(layerNorm(tf.add(h1, ff), g2, be2)) as tf.Scalar;
    });
  };
}

function trainStep(vars: tf.Variable[], forward: () => tf.Tensor, labels: tf.Tensor) {
  const opt = tf.train.momentum(0.01, 0.9);
  return () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward()) as tf.Scalar, true, vars);
    loss!.dataSync();
    loss!.dispose();
  };
}

const oneHot = (n: number) => tf.cast(tf.oneHot(tf.randomUniform([n], 0, 10, 'int32', 2) as tf.Tensor1D, 10), 'float32');

function mlpTrain() {
  return () => {
    const w1 = vari([784, 800], glorot(784)), b1 = vari([800], 0.01), w2 = vari([800, 10], glorot(800)), b2 = vari([10], 0.01);
    const x = tf.randomUniform([128, 784]);
    return trainStep([w1, b1, w2, b2], () => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2), oneHot(128));
  };
}

function lenetTrain() {
  return () => {
    const c1 = vari([5, 5, 1, 6], glorot(25)), cb1 = vari([6], 0.01);
    const c2 = vari([5, 5, 6, 16], glorot(150)), cb2 = vari([16], 0.01);
    const f1 = vari([400, 120], glorot(400)), fb1 = vari([120], 0.01);
    const f2 = vari([120, 84], glorot(120)), fb2 = vari([84], 0.01);
    const f3 = vari([84, 10], glorot(84)), fb3 = vari([10], 0.01);
    const x = tf.randomUniform([64, 28, 28, 1]) as tf.Tensor4D;
    const forward = () => {
      // pad 2 on 28×28 with a 5×5 kernel is 'same'
      let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, c1 as tf.Tensor4D, 1, 'same'), cb1)) as tf.Tensor4D, 2, 2, 'valid');
      h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c2 as tf.Tensor4D, 1, 'valid'), cb2)) as tf.Tensor4D, 2, 2, 'valid');
      // flatten order differs from NCHW's, which changes nothing about the cost
      const z = tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(tf.reshape(h, [64, 400]), f1), fb1)), f2), fb2));
      return tf.add(tf.matMul(z, f3), fb3);
    };
    return trainStep([c1, cb1, c2, cb2, f1, fb1, f2, fb2, f3, fb3], forward, oneHot(64));
  };
}

const impls: Record<string, () => (() => void)> = {
  'sgemm-256': sgemm(256), 'sgemm-512': sgemm(512), 'sgemm-1024': sgemm(1024),
  'conv-lenet': convLayer(64, 1, 28, 6, 5, 'valid'),
  'conv-resnet': convLayer(64, 64, 16, 64, 3, 'same'),
  lstm: lstm(),
  transformer: transformer(),
  'mlp-train': mlpTrain(),
  'lenet-train': lenetTrain(),
};

const threads = which === 'wasm' ? getThreadsCount() : 1;
const library = `tfjs-${which}`;
emitMeta({ library, version, threads, info: { backend: tf.getBackend() } });
emitNote('convolutions in NHWC; models written with tf ops; LSTM input projection batched over time');
if (which === 'wasm') emitNote(`SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, ${threads} thread (no wasm multithreading under Node)`);
runWorkloads(library, args, impls, () => timingOptions(args.quick));
