// deepten's side of the bench, one backend per process (DEEPTEN_BACKEND is read once at start-up).
// Models use deepten's nn modules and optim.SGD, as a user would; the conv rows call F.conv2d.
import { readFileSync } from 'node:fs';
import * as D from '../src/index.ts';
import { F, type Tensor } from '../src/index.ts';
import type { FloatArray } from '../src/backend/types.ts';
import { DCGAN } from '../src/models/dcgan.ts';
import { ganStep, makeOptimizers } from '../src/train/recipes/dcgan.ts';
import { LstmLanguageModel, detachState } from '../src/models/lstm.ts';
import type { LSTMState } from '../src/nn/rnn.ts';
import { UNet } from '../src/models/unet.ts';
import { GaussianDiffusion } from '../src/models/ddpm.ts';
import { emitMeta, emitNote, runWorkloads, timingOptions, workerArgs, type WorkerArgs } from './common.ts';
import { GPT } from '../src/models/gpt.ts';
import { Seq2SeqTransformer } from '../src/models/transformer.ts';

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

function gru() {
  return () => {
    const model = new D.nn.GRU(200, 200, { numLayers: 2 });
    const x = param([20, 20, 200], 1, false); // (seq, batch, input)
    return () => {
      model.zeroGrad();
      model.forward(x)[0].sum().backward();
    };
  };
}

/** One training step of the PTB small recipe (src/train/recipes/lstm.ts) on fixed random tokens. */
function lstmPtbTrain() {
  return () => {
    const V = 10000, T = 20, B = 20;
    const model = new LstmLanguageModel({ vocabSize: V, embedSize: 200, hiddenSize: 200, numLayers: 2, dropout: 0, tieWeights: false, initRange: 0.1 });
    const opt = new D.optim.SGD(model.parameters(), { lr: 1 });
    const x = D.randint(0, V, [T, B]), y = D.randint(0, V, [T * B]);
    let state: LSTMState | null = null;
    return () => {
      const [logits, next] = model.forward(x, state);
      state = detachState(next);
      const loss = F.crossEntropy(logits.reshape([T * B, V]), y);
      opt.zeroGrad();
      loss.mul(T).backward();
      D.optim.clipGradNorm(model.parameters(), 5);
      opt.step();
      loss.item();
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

/** The recipe's own step (src/train/recipes/dcgan.ts) on the full-size networks. */
function dcganStep() {
  return () => {
    const gan = new DCGAN();
    const parts = { gan, ...makeOptimizers(gan, { lr: 2e-4, beta1: 0.5, beta2: 0.999 }) };
    const x = D.rand([128, 1, 28, 28]).mul(2).sub(1);
    return () => { ganStep(parts, x, D.randn([128, 100])); };
  };
}

/** One nanoGPT iteration (models/gpt.ts, as train gpt runs it): forward, cross-entropy, backward, clip, AdamW. */
function gptTrain() {
  return () => {
    const model = new GPT({ blockSize: 64, vocabSize: 65, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false });
    const ps = model.parameters();
    const opt = new D.optim.AdamW([{ params: ps.filter((p) => p.ndim >= 2), weightDecay: 0.1 }, { params: ps.filter((p) => p.ndim < 2), weightDecay: 0 }],
      { lr: 1e-3, betas: [0.9, 0.99] });
    const x = D.randint(0, 65, [12, 64]), y = D.randint(0, 65, [12 * 64]);
    return () => {
      const loss = F.crossEntropy(model.forward(x).reshape(-1, 65), y);
      opt.zeroGrad();
      loss.backward();
      D.optim.clipGradNorm(ps, 1);
      opt.step();
      loss.item();
    };
  };
}

/** One Multi30k training step of the translation recipe's model (every target position is a real token here). */
function transformerMulti30k() {
  return () => {
    const model = new Seq2SeqTransformer(7859, 5921, 0, {});
    const opt = new D.optim.Adam(model.parameters(), { lr: 5e-4 });
    const src = D.randint(4, 7859, [128, 14]), tgtIn = D.randint(4, 5921, [128, 15]), tgtOut = D.randint(4, 5921, [128 * 15]);
    return () => {
      const loss = F.crossEntropy(model.forward(src, tgtIn).reshape(-1, 5921), tgtOut);
      opt.zeroGrad();
      loss.backward();
      D.optim.clipGradNorm(model.parameters(), 1);
      opt.step();
      loss.item();
    };
  };
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
  gru: gru(),
  'lstm-ptb-train': lstmPtbTrain(),
  transformer: transformer(),
  'mlp-train': mlpTrain(),
  'lenet-train': lenetTrain(),
  'dcgan-step': dcganStep(),
  'gpt-train': gptTrain(),
  'transformer-multi30k-train': transformerMulti30k(),
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
emitNote('nn.LSTM, nn.GRU, models/lstm.ts LstmLanguageModel, nn.MultiheadAttention + nn.LayerNorm + nn.Linear block, nn.Sequential models, optim.SGD; conv rows F.conv2d; models/dcgan.ts, gpt.ts, transformer.ts and unet.ts for their training steps');
const opts = timingOptions(args.quick);
runWorkloads(`deepten-${be.name}`, args, impls, () => opts);
