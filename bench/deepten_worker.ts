// deepten's side of the bench, one backend per process (DEEPTEN_BACKEND is read once at start-up).
// Models use deepten's nn modules and optim.SGD, as a user would; the conv rows call F.conv2d.
import { readFileSync } from 'node:fs';
import * as D from '../src/index.ts';
import { F, type Tensor } from '../src/index.ts';
import type { FloatArray } from '../src/backend/types.ts';
import { UNet } from '../src/models/unet.ts';
import { GaussianDiffusion } from '../src/models/ddpm.ts';
import { emitMeta, emitNote, runWorkloads, timingOptions, workerArgs, type WorkerArgs } from './common.ts';

const args: WorkerArgs = workerArgs();

/** A float32 leaf ~ N(0, std²). */
function param(shape: number[], std: number, requiresGrad = true): Tensor {
  return D.randn(shape, { std, requiresGrad });
}
const glorot = (fanIn: number) => 1 / Math.sqrt(fanIn);

function sgemm(n: number) {
  return () => {
    const a = param([n, n], 1, false), b = param([n, n], 1, false);
    return () => { D.noGrad(() => a.matmul(b)); };
  };
}

/** The bare GEMM kernel on preallocated arrays, timed in alternation with a.matmul(b) on the same inputs. */
function sgemmKernel(n: number) {
  return () => {
    const a = param([n, n], 1, false), b = param([n, n], 1, false);
    const out = new Float32Array(n * n);
    const p = { batch: 1, m: n, n, k: n, transA: false, transB: false, strideA: 0, strideB: 0, beta: 0 };
    const be = D.backend();
    return {
      run: () => { be.matmul(a.data as FloatArray, b.data as FloatArray, out, p); },
      ref: () => { D.noGrad(() => a.matmul(b)); },
    };
  };
}

function convLayer(n: number, cIn: number, hw: number, cOut: number, k: number, padding: number) {
  return () => {
    const x = param([n, cIn, hw, hw], 1), w = param([cOut, cIn, k, k], glorot(cIn * k * k));
    return () => {
      x.grad = null; w.grad = null;
      F.conv2d(x, w, null, { padding }).sum().backward();
    };
  };
}

function lstm() {
  return () => {
    const model = new D.nn.LSTM(200, 200, { numLayers: 2 });
    const x = param([20, 20, 200], 1, false); // (seq, batch, input)
    return () => {
      model.zeroGrad();
      model.forward(x)[0].sum().backward();
    };
  };
}

/** torch.nn.TransformerEncoderLayer's post-norm block (dropout 0): x + MHA(x) → LN → + FF(ReLU) → LN. */
class EncoderBlock extends D.nn.Module {
  attn: D.nn.MultiheadAttention; ln1: D.nn.LayerNorm; ff1: D.nn.Linear; ff2: D.nn.Linear; ln2: D.nn.LayerNorm;
  constructor(d: number, heads: number, ff: number) {
    super();
    this.attn = new D.nn.MultiheadAttention(d, heads, { batchFirst: true });
    this.ln1 = new D.nn.LayerNorm(d);
    this.ff1 = new D.nn.Linear(d, ff);
    this.ff2 = new D.nn.Linear(ff, d);
    this.ln2 = new D.nn.LayerNorm(d);
  }
  forward(x: Tensor): Tensor {
    const h = this.ln1.forward(x.add(this.attn.forward(x, x, x, { needWeights: false })[0]));
    return this.ln2.forward(h.add(this.ff2.forward(this.ff1.forward(h).relu())));
  }
}

function transformer() {
  return () => {
    const block = new EncoderBlock(128, 4, 512);
    const x = param([12, 64, 128], 1, false); // (batch, seq, d)
    return () => {
      block.zeroGrad();
      block.forward(x).sum().backward();
    };
  };
}

function trainStep(model: D.nn.Module, x: Tensor, y: Tensor) {
  const opt = new D.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  return () => {
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(x) as Tensor, y);
    loss.backward();
    opt.step();
    loss.item();
  };
}

function mlpTrain() {
  const { Sequential, Linear, ReLU } = D.nn;
  return () => trainStep(new Sequential(new Linear(784, 800), new ReLU(), new Linear(800, 10)),
    D.rand([128, 784]), D.randint(0, 10, [128]));
}

function lenetTrain() {
  const { Sequential, Conv2d, MaxPool2d, Flatten, Linear, ReLU } = D.nn;
  return () => trainStep(new Sequential(
    new Conv2d(1, 6, 5, { padding: 2 }), new ReLU(), new MaxPool2d(2), // 6×14×14
    new Conv2d(6, 16, 5), new ReLU(), new MaxPool2d(2), new Flatten(), // 16×5×5
    new Linear(400, 120), new ReLU(), new Linear(120, 84), new ReLU(), new Linear(84, 10),
  ), D.rand([64, 1, 28, 28]), D.randint(0, 10, [64]));
}

/** One DDPM training step as the recipe runs it: t and ε drawn, x_t = √ᾱ x0 + √(1 − ᾱ) ε, MSE, clip, Adam. */
function ddpmTrain() {
  return () => {
    const net = new UNet();
    const diffusion = new GaussianDiffusion();
    const opt = new D.optim.Adam(net.parameters(), { lr: 1e-3 });
    const x0 = D.rand([128, 1, 28, 28], { low: -1, high: 1 });
    const g = new D.Generator(1);
    return () => {
      const loss = diffusion.loss((x, t) => net.forward(x, t), x0, g);
      opt.zeroGrad();
      loss.backward();
      D.optim.clipGradNorm(net.parameters(), 1.0);
      opt.step();
      loss.item();
    };
  };
}

const impls: Parameters<typeof runWorkloads>[2] = {
  'sgemm-256': sgemm(256), 'sgemm-512': sgemm(512), 'sgemm-1024': sgemm(1024),
  'sgemm-256-kernel': sgemmKernel(256), 'sgemm-512-kernel': sgemmKernel(512), 'sgemm-1024-kernel': sgemmKernel(1024),
  'conv-lenet': convLayer(64, 1, 28, 6, 5, 0),
  'conv-resnet': convLayer(64, 64, 16, 64, 3, 1),
  lstm: lstm(),
  transformer: transformer(),
  'mlp-train': mlpTrain(),
  'lenet-train': lenetTrain(),
  'ddpm-train': ddpmTrain(),
};

D.manualSeed(0);
const be = D.backend();
const ti = args.rest.indexOf('--threads');
if (ti >= 0) {
  const setThreads = (be as unknown as { setThreads?: (n: number) => void }).setThreads;
  if (setThreads) setThreads(Number(args.rest[ti + 1]));
}
const info = be.info();
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
emitMeta({ library: `deepten-${be.name}`, version, threads: info.threads, info: { ...info } });
emitNote('nn.LSTM, nn.MultiheadAttention + nn.LayerNorm + nn.Linear block, nn.Sequential models, optim.SGD; conv rows F.conv2d');
const opts = timingOptions(args.quick);
runWorkloads(`deepten-${be.name}`, args, impls, () => opts);
