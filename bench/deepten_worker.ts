// deepten's side of the bench, one backend per process (DEEPTEN_BACKEND is read once at start-up).
// Models are written with functional ops (F.*) so they do not depend on nn.Module's details.
import * as D from '../src/index.ts';
import { F, type Tensor } from '../src/index.ts';
import type { FloatArray } from '../src/backend/types.ts';
import type { Backend } from '../src/backend/backend.ts';
import { runWorkloads, timingOptions, workerArgs, writeReport, type WorkerArgs } from './common.ts';

const args: WorkerArgs = workerArgs();
const notes: string[] = [];

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

function sgemmKernel(n: number) {
  return () => {
    const a = param([n, n], 1, false).data as FloatArray, b = param([n, n], 1, false).data as FloatArray;
    const out = new Float32Array(n * n);
    const p = { batch: 1, m: n, n, k: n, transA: false, transB: false, strideA: 0, strideB: 0, beta: 0 };
    const be = D.backend();
    return () => { be.matmul(a, b, out, p); };
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
  const seq = 20, batch = 20, input = 200, hidden = 200, layers = 2;
  return () => {
    const s = glorot(hidden);
    // weights stored (in, 4h) so each step is x·W with no transpose; gate order i, f, g, o as in torch
    const ps = Array.from({ length: layers }, (_, l) => ({
      wih: param([l === 0 ? input : hidden, 4 * hidden], s), whh: param([hidden, 4 * hidden], s), b: param([4 * hidden], s),
    }));
    const x = param([seq, batch, input], 1, false);
    return () => {
      for (const p of ps) { p.wih.grad = null; p.whh.grad = null; p.b.grad = null; }
      let inp = x;
      for (const p of ps) {
        // the input projection of every step in one GEMM, then the recurrence
        const xp = inp.reshape(seq * batch, -1).matmul(p.wih).add(p.b).reshape(seq, batch, 4 * hidden);
        let h = D.zeros([batch, hidden]), c = D.zeros([batch, hidden]);
        const hs: Tensor[] = [];
        for (let t = 0; t < seq; t++) {
          const [i, f, g, o] = xp.select(0, t).add(h.matmul(p.whh)).chunk(4, 1);
          c = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
          h = o.sigmoid().mul(c.tanh());
          hs.push(h);
        }
        inp = F.stack(hs, 0);
      }
      inp.sum().backward();
    };
  };
}

function transformer() {
  const B = 12, S = 64, Dm = 128, H = 4, dh = Dm / H, FF = 512;
  return () => {
    const wqkv = param([Dm, 3 * Dm], glorot(Dm)), bqkv = param([3 * Dm], 0.02);
    const wo = param([Dm, Dm], glorot(Dm)), bo = param([Dm], 0.02);
    const w1 = param([Dm, FF], glorot(Dm)), b1 = param([FF], 0.02), w2 = param([FF, Dm], glorot(FF)), b2 = param([Dm], 0.02);
    const g1 = D.ones([Dm], { requiresGrad: true }), be1 = D.zeros([Dm], { requiresGrad: true });
    const g2 = D.ones([Dm], { requiresGrad: true }), be2 = D.zeros([Dm], { requiresGrad: true });
    const params = [wqkv, bqkv, wo, bo, w1, b1, w2, b2, g1, be1, g2, be2];
    const x = param([B, S, Dm], 1, false);
    return () => {
      for (const p of params) p.grad = null;
      const x2 = x.reshape(B * S, Dm);
      // (B·S, 3D) → (3, B, H, S, dh): q, k, v per head
      const qkv = x2.matmul(wqkv).add(bqkv).reshape(B, S, 3, H, dh).permute(2, 0, 3, 1, 4);
      const q = qkv.select(0, 0), k = qkv.select(0, 1), v = qkv.select(0, 2);
      const att = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(dh)).softmax(-1).matmul(v); // (B, H, S, dh)
      const merged = att.permute(0, 2, 1, 3).reshape(B * S, Dm);
      const h1 = F.layerNorm(x2.add(merged.matmul(wo).add(bo)), [Dm], g1, be1);
      const ff = h1.matmul(w1).add(b1).relu().matmul(w2).add(b2);
      F.layerNorm(h1.add(ff), [Dm], g2, be2).sum().backward();
    };
  };
}

/** Mean cross-entropy over a batch of logits (B, C) and int32 targets (B). */
function crossEntropy(logits: Tensor, target: Tensor): Tensor {
  const ce = (F as unknown as Record<string, unknown>).crossEntropy;
  if (typeof ce === 'function') return (ce as (x: Tensor, t: Tensor) => Tensor)(logits, target);
  return F.gather(logits.logSoftmax(-1), 1, target.reshape(-1, 1)).mean().neg();
}

interface Stepper { zeroGrad(): void; step(): void }

/**
 * optim.SGD when it exists and works, else the backend's sgdStep kernel, else a TypeScript loop implementing
 * torch's rule (buf ← μ·buf + g; p ← p − lr·buf).
 */
function sgd(params: Tensor[], lr: number, momentum: number): { opt: Stepper; how: string } {
  const zero = () => { for (const p of params) p.grad = null; };
  const Ctor = (D.optim as unknown as Record<string, unknown>).SGD;
  if (typeof Ctor === 'function') {
    try {
      const o = new (Ctor as new (p: Tensor[], o: { lr: number; momentum: number }) => Stepper)(params, { lr, momentum });
      if (typeof o.step === 'function' && typeof o.zeroGrad === 'function') return { opt: o, how: 'optim.SGD' };
    } catch { /* fall through */ }
  }
  const bufs = params.map((p) => new Float32Array(p.size));
  let first = true;
  const be = D.backend() as unknown as Record<string, unknown>;
  if (typeof be.sgdStep === 'function') {
    try {
      (be.sgdStep as Backend['sgdStep'])(new Float32Array(1), new Float32Array(1), new Float32Array(1), 0, 0.9, 0, 0, false, true);
      return {
        how: 'backend().sgdStep', opt: {
          zeroGrad: zero, step: () => {
            params.forEach((p, i) => D.backend().sgdStep(p.data as FloatArray, p.grad!.data as FloatArray, bufs[i], lr, momentum, 0, 0, false, first));
            first = false;
          },
        },
      };
    } catch { /* fall through */ }
  }
  return {
    how: 'TypeScript loop (optim.SGD / sgdStep not available yet)', opt: {
      zeroGrad: zero, step: () => {
        params.forEach((p, i) => {
          const w = p.data as FloatArray, g = p.grad!.data as FloatArray, b = bufs[i];
          for (let j = 0; j < w.length; j++) { b[j] = first ? g[j] : momentum * b[j] + g[j]; w[j] -= lr * b[j]; }
        });
        first = false;
      },
    },
  };
}

function trainStep(params: Tensor[], forward: () => Tensor, target: Tensor) {
  const { opt, how } = sgd(params, 0.01, 0.9);
  if (!notes.some((n) => n.startsWith('optimizer:'))) notes.push(`optimizer: ${how}`);
  return () => {
    opt.zeroGrad();
    const loss = crossEntropy(forward(), target);
    loss.backward();
    opt.step();
    loss.item();
  };
}

function mlpTrain() {
  return () => {
    const w1 = param([784, 800], glorot(784)), b1 = param([800], 0.01), w2 = param([800, 10], glorot(800)), b2 = param([10], 0.01);
    const x = D.rand([128, 784]), y = D.randint(0, 10, [128]);
    return trainStep([w1, b1, w2, b2], () => x.matmul(w1).add(b1).relu().matmul(w2).add(b2), y);
  };
}

function lenetTrain() {
  return () => {
    const c1 = param([6, 1, 5, 5], glorot(25)), cb1 = param([6], 0.01);
    const c2 = param([16, 6, 5, 5], glorot(150)), cb2 = param([16], 0.01);
    const f1 = param([400, 120], glorot(400)), fb1 = param([120], 0.01);
    const f2 = param([120, 84], glorot(120)), fb2 = param([84], 0.01);
    const f3 = param([84, 10], glorot(84)), fb3 = param([10], 0.01);
    const x = D.rand([64, 1, 28, 28]), y = D.randint(0, 10, [64]);
    const forward = () => {
      let h = F.maxPool2d(F.conv2d(x, c1, cb1, { padding: 2 }).relu(), 2); // 6×14×14
      h = F.maxPool2d(F.conv2d(h, c2, cb2).relu(), 2); // 16×5×5
      h = h.reshape(64, 400).matmul(f1).add(fb1).relu().matmul(f2).add(fb2).relu();
      return h.matmul(f3).add(fb3);
    };
    return trainStep([c1, cb1, c2, cb2, f1, fb1, f2, fb2, f3, fb3], forward, y);
  };
}

const impls: Record<string, () => (() => void)> = {
  'sgemm-256': sgemm(256), 'sgemm-512': sgemm(512), 'sgemm-1024': sgemm(1024),
  'sgemm-256-kernel': sgemmKernel(256), 'sgemm-512-kernel': sgemmKernel(512), 'sgemm-1024-kernel': sgemmKernel(1024),
  'conv-lenet': convLayer(64, 1, 28, 6, 5, 0),
  'conv-resnet': convLayer(64, 64, 16, 64, 3, 1),
  lstm: lstm(),
  transformer: transformer(),
  'mlp-train': mlpTrain(),
  'lenet-train': lenetTrain(),
};

D.manualSeed(0);
const be = D.backend();
const info = be.info();
const opts = timingOptions(args.quick);
// the pure-TypeScript backend is far slower on the big recurrent/attention graphs: fewer runs there
const slow = new Set(['lstm', 'transformer', 'sgemm-1024', 'sgemm-1024-kernel', 'conv-resnet']);
const results = runWorkloads(`deepten-${be.name}`, args, impls,
  (name) => (be.name === 'js' && slow.has(name) ? { ...opts, maxReps: Math.min(opts.maxReps, 5) } : opts));
notes.push('models written with functional ops (F.*), LSTM input projection batched over time; weights (in, out)');
writeReport(args.out, {
  library: `deepten-${be.name}`, version: '0.1.0', threads: info.threads,
  info: { ...info }, notes, results,
});
