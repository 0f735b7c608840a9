// Loads the native addon (build/Release/deepten.node: C++ kernels over the system BLAS) and wraps it as a Backend.
// Each wrapper hands the typed arrays themselves to C++ (no copies) when every float array is a Float32Array,
// and otherwise calls the TypeScript kernel (float64 gradchecks run there). Kernels without a native version
// come from the TypeScript backend.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Backend, BackendInfo } from './backend.ts';
import type { UnaryOp, BinaryOp } from './kernels/elementwise.ts';
import type { Conv2dParams } from './kernels/conv.ts';
import type { Pool2dParams } from './kernels/pool.ts';
import type { Shape, Storage } from './types.ts';
import { jsBackend as js } from './js/index.ts';

type F32 = Float32Array;
type I32 = Int32Array;
type ConvArgs = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
type PoolArgs = [number, number, number, number, number, number, number, number, number, number, number, number];

/** The functions native/*.cc export (argument order as in their comments there). */
export interface Addon {
  info(): { config: string; corename: string; threads: number };
  setThreads(n: number): void;
  matmul(a: F32, b: F32, out: F32, batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean,
    strideA: number, strideB: number, beta: number, lda?: number, ldb?: number, ldc?: number, strideC?: number,
    inner?: number, outerStrideA?: number, outerStrideB?: number, outerStrideC?: number): void;
  conv2d(x: F32, w: F32, bias: F32 | null, y: F32, ...p: ConvArgs): void;
  conv2dBackwardInput(gy: F32, w: F32, gx: F32, ...p: ConvArgs): void;
  conv2dBackwardWeight(x: F32, gy: F32, gw: F32, gb: F32 | null, ...p: ConvArgs): void;
  maxPool2d(x: F32, y: F32, argmax: I32, ...p: PoolArgs): void;
  maxPool2dBackward(gy: F32, argmax: I32, gx: F32, ...p: PoolArgs): void;
  avgPool2d(x: F32, y: F32, countIncludePad: boolean, ...p: PoolArgs): void;
  avgPool2dBackward(gy: F32, gx: F32, countIncludePad: boolean, ...p: PoolArgs): void;
  upsampleNearest2d(x: F32, y: F32, nc: number, h: number, w: number, sh: number, sw: number): void;
  upsampleNearest2dBackward(gy: F32, gx: F32, nc: number, h: number, w: number, sh: number, sw: number): void;
  unary(op: number, x: F32, out: F32, a: number, b: number): void;
  unaryGrad(op: number, x: F32, y: F32, gy: F32, gx: F32, a: number, b: number): void;
  binary(op: number, mode: number, a: F32, b: F32, out: F32, meta?: I32): void;
  where(cond: F32 | I32, a: F32, b: F32, out: F32, meta: I32): void;
  reduce(op: number, x: F32, outer: number, dim: number, inner: number, out: F32): void;
  argReduce(isMax: boolean, x: F32, outer: number, dim: number, inner: number, out: I32): void;
  softmax(x: F32, y: F32, outer: number, dim: number, inner: number, log: boolean): void;
  softmaxBackward(y: F32, gy: F32, gx: F32, outer: number, dim: number, inner: number, log: boolean): void;
  layerNorm(x: F32, gamma: F32 | null, beta: F32 | null, y: F32, mean: F32, rstd: F32, rows: number, cols: number, eps: number): void;
  layerNormBackward(gy: F32, x: F32, gamma: F32 | null, mean: F32, rstd: F32, gx: F32, ggamma: F32 | null, gbeta: F32 | null,
    rows: number, cols: number): void;
  groupNorm(x: F32, gamma: F32 | null, beta: F32 | null, shift: F32 | null, y: F32, mean: F32, rstd: F32,
    n: number, c: number, s: number, groups: number, eps: number, act: number): void;
  groupNormBackward(gy: F32, x: F32, gamma: F32 | null, beta: F32 | null, shift: F32 | null, mean: F32, rstd: F32, gx: F32,
    ggamma: F32 | null, gbeta: F32 | null, gshift: F32 | null, n: number, c: number, s: number, groups: number, act: number): void;
  channelMoments(x: F32, n: number, c: number, s: number, mean: F32, variance: F32): void;
  channelAffine(x: F32, mean: F32, rstd: F32, gamma: F32 | null, beta: F32 | null, y: F32, n: number, c: number, s: number): void;
  batchNormBackward(gy: F32, x: F32, mean: F32, rstd: F32, gamma: F32 | null, gx: F32, ggamma: F32 | null, gbeta: F32 | null,
    n: number, c: number, s: number): void;
  indexSelect(x: F32 | I32, idx: I32, out: F32 | I32, outer: number, dim: number, inner: number): void;
  indexAdd(src: F32, idx: I32, out: F32, outer: number, dim: number, inner: number): void;
  gather(x: F32 | I32, index: I32, out: F32 | I32, outer: number, dim: number, inner: number, idxDim: number): void;
  scatterAdd(src: F32, index: I32, out: F32, outer: number, dim: number, inner: number, idxDim: number): void;
  csrMatmul(rowPtr: I32, colIdx: I32, values: F32, rows: number, cols: number, x: F32, out: F32, n: number): void;
  sgdStep(p: F32, g: F32, buf: F32 | null, lr: number, momentum: number, dampening: number, weightDecay: number,
    nesterov: boolean, firstStep: boolean): void;
  adamStep(p: F32, g: F32, m: F32, v: F32, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number,
    decoupled: boolean, step: number): void;
  copyStrided(src: F32 | I32, srcOffset: number, dst: F32 | I32, dstOffset: number, meta: I32): void;
  lstmCellForward(gates: F32, bias: F32 | null, cPrev: F32, c: F32, h: F32, B: number, H: number): void;
  lstmCellBackward(gates: F32, c: F32, cPrev: F32, dhOut: F32, dhRec: F32 | null, dc: F32, dGates: F32, B: number, H: number): void;
  rnnCellForward(h: F32, bias: F32 | null, B: number, H: number, relu: boolean): void;
  rnnCellBackward(h: F32, dhOut: F32, dhRec: F32 | null, dz: F32, B: number, H: number, relu: boolean): void;
  gruCellForward(gx: F32, gh: F32, bias: F32 | null, hPrev: F32, h: F32, B: number, H: number): void;
  gruCellBackward(gates: F32, gh: F32, hPrev: F32, dhOut: F32, dhRec: F32 | null, dGx: F32, dGh: F32, dhPrev: F32, B: number, H: number): void;
  attentionSoftmax(s: F32, p: F32, bias: F32 | null, mask: F32 | I32 | null, padding: F32 | I32 | null, meta: I32, scale: number): void;
  attentionSoftmaxBackward(p: F32, gp: F32, keep: F32 | null, gs: F32, rows: number, S: number, scale: number): void;
  word2vecTrain(inputVectors: F32, outputVectors: F32 | null, nodeVectors: F32 | null, ids: I32, sentenceStarts: I32,
    keep: Uint32Array, noiseProb: Uint32Array, noiseAlias: I32, codeStart: I32, codes: Uint8Array, points: I32,
    params: Float64Array, stats: Float64Array): void;
  crossEntropyForward(x: F32, target: I32, loss: F32, lse: F32, rows: number, C: number, ignoreIndex: number, smoothing: number): void;
  crossEntropyBackward(x: F32, target: I32, lse: F32, g: F32, gx: F32, rows: number, C: number, ignoreIndex: number, smoothing: number): void;
}

/** The native backend plus a thread-count control (for benchmarks; the default is every available core). */
export type NativeBackend = Backend & { setThreads(n: number): void };

export const defaultAddonPath = fileURLToPath(new URL('../../build/Release/deepten.node', import.meta.url));

/**
 * The OpenBLAS kernel family to force for this CPU, from /proc/cpuinfo's flags: OpenBLAS 0.3.21 does not
 * recognise the newest Intel cores and silently falls back to slow generic kernels.
 */
export function openblasCoreType(cpuinfo: string): 'SkylakeX' | 'Haswell' | null {
  const line = cpuinfo.split('\n').find((l) => l.startsWith('flags'));
  if (!line) return null;
  const flags = new Set(line.slice(line.indexOf(':') + 1).trim().split(/\s+/));
  if (flags.has('avx512f')) return 'SkylakeX';
  if (flags.has('avx2')) return 'Haswell';
  return null;
}

/** Sets OPENBLAS_CORETYPE (read when libopenblas loads) unless the user chose one. */
function chooseCoreType(): void {
  if (process.env.OPENBLAS_CORETYPE || process.platform !== 'linux') return;
  try {
    const core = openblasCoreType(readFileSync('/proc/cpuinfo', 'utf8'));
    if (core) process.env.OPENBLAS_CORETYPE = core;
  } catch { /* no /proc: let OpenBLAS detect the CPU itself */ }
}

/** The native backend, or a one-line reason it is unavailable. */
export function loadNative(addonPath: string = defaultAddonPath): NativeBackend | string {
  if (!existsSync(addonPath)) return `the addon is not built: ${addonPath} is missing; npm install builds it`;
  chooseCoreType();
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(addonPath) as Addon;
  } catch (e) {
    return `loading ${addonPath} failed: ${String((e as Error)?.message ?? e).split('\n')[0]}`;
  }
  if (typeof addon?.matmul !== 'function' || typeof addon.info !== 'function') return `${addonPath} is not the deepten addon`;
  return nativeBackend(addon);
}

const UNARY: Record<UnaryOp, number> = {
  neg: 0, exp: 1, log: 2, sqrt: 3, rsqrt: 4, abs: 5, sign: 6, reciprocal: 7, square: 8, sin: 9, cos: 10, tanh: 11,
  sigmoid: 12, relu: 13, leakyRelu: 14, elu: 15, gelu: 16, silu: 17, softplus: 18, powScalar: 19, clamp: 20,
};
const BINARY: Record<BinaryOp, number> = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6, gt: 7, ge: 8, lt: 9, le: 10, eq: 11, ne: 12,
};
const REDUCE = { sum: 0, max: 1, min: 2 } as const;
const MAX_DIMS = 16; // native/strided.h kMaxDims

// Scratch for shapes and strides: [nd, shape, then one row of nd per operand]; kernels run synchronously, so one
// buffer serves every call.
const meta = new Int32Array(1 + MAX_DIMS * 4);
// word2vecTrain's parameter block and statistics (native/word2vec.cc lists the layout)
const w2vParams = new Float64Array(13);
const w2vStats = new Float64Array(4);

/** Packs outShape and each operand shape right-aligned (leading 1s) to outShape's rank; false if too many axes. */
function packBroadcast(outShape: Shape, shapes: Shape[]): boolean {
  const nd = outShape.length;
  if (nd > MAX_DIMS) return false;
  meta[0] = nd;
  for (let i = 0; i < nd; i++) meta[1 + i] = outShape[i];
  for (let j = 0; j < shapes.length; j++) {
    const s = shapes[j], row = 1 + nd * (j + 1), pad = nd - s.length;
    for (let i = 0; i < nd; i++) meta[row + i] = i < pad ? 1 : s[i - pad];
  }
  return true;
}

// Below these sizes a kernel is done in the TypeScript loop before a native call (~0.25 µs) would even start.
const SMALL_UNARY = 16;
const SMALL_BINARY = 48;
const SMALL_REDUCE = 64;

const f32 = (x: unknown): x is F32 => x instanceof Float32Array;
const f32n = (x: unknown): x is F32 | null => x === null || x instanceof Float32Array;
/** Both Float32Array or both Int32Array: 4-byte elements the native copy kernels move as words. */
const words = (a: Storage, b: Storage): boolean =>
  (a instanceof Float32Array && b instanceof Float32Array) || (a instanceof Int32Array && b instanceof Int32Array);

const convArgs = (p: Conv2dParams): ConvArgs => [p.n, p.cIn, p.h, p.w, p.cOut, p.kh, p.kw, p.strideH, p.strideW, p.padH, p.padW,
  p.dilH, p.dilW, p.outH, p.outW, p.groups ?? 1];
const poolArgs = (p: Pool2dParams): PoolArgs => [p.n, p.c, p.h, p.w, p.kh, p.kw, p.strideH, p.strideW, p.padH, p.padW, p.outH, p.outW];

/** The Backend over a loaded addon. */
export function nativeBackend(addon: Addon): NativeBackend {
  const { config, corename } = addon.info();
  const blasName = config.split(/\s+/).slice(0, 2).join(' '); // "OpenBLAS 0.3.21 NO_LAPACKE ..." → "OpenBLAS 0.3.21"
  const blas = corename ? `${blasName} (${corename})` : blasName;
  const info = (): BackendInfo => ({ name: 'native', blas, threads: addon.info().threads });

  return {
    ...js,
    name: 'native',
    info,
    setThreads: (n: number) => addon.setThreads(n),

    matmul(a, b, out, p) {
      if (f32(a) && f32(b) && f32(out)) {
        // the optional layout fields go as given (undefined = the C++ default, the contiguous layout)
        addon.matmul(a, b, out, p.batch, p.m, p.n, p.k, p.transA, p.transB, p.strideA, p.strideB, p.beta,
          p.lda, p.ldb, p.ldc, p.strideC, p.inner, p.outerStrideA, p.outerStrideB, p.outerStrideC);
      }
      else js.matmul(a, b, out, p);
    },

    conv2d(x, w, bias, y, p) {
      if (f32(x) && f32(w) && f32n(bias) && f32(y)) addon.conv2d(x, w, bias, y, ...convArgs(p));
      else js.conv2d(x, w, bias, y, p);
    },
    conv2dBackwardInput(gy, w, gx, p) {
      if (f32(gy) && f32(w) && f32(gx)) addon.conv2dBackwardInput(gy, w, gx, ...convArgs(p));
      else js.conv2dBackwardInput(gy, w, gx, p);
    },
    conv2dBackwardWeight(x, gy, gw, gb, p) {
      if (f32(x) && f32(gy) && f32(gw) && f32n(gb)) addon.conv2dBackwardWeight(x, gy, gw, gb, ...convArgs(p));
      else js.conv2dBackwardWeight(x, gy, gw, gb, p);
    },

    maxPool2d(x, y, argmax, p) {
      if (f32(x) && f32(y)) addon.maxPool2d(x, y, argmax, ...poolArgs(p));
      else js.maxPool2d(x, y, argmax, p);
    },
    maxPool2dBackward(gy, argmax, gx, p) {
      if (f32(gy) && f32(gx)) addon.maxPool2dBackward(gy, argmax, gx, ...poolArgs(p));
      else js.maxPool2dBackward(gy, argmax, gx, p);
    },
    avgPool2d(x, y, p, countIncludePad) {
      if (f32(x) && f32(y)) addon.avgPool2d(x, y, countIncludePad, ...poolArgs(p));
      else js.avgPool2d(x, y, p, countIncludePad);
    },
    avgPool2dBackward(gy, gx, p, countIncludePad) {
      if (f32(gy) && f32(gx)) addon.avgPool2dBackward(gy, gx, countIncludePad, ...poolArgs(p));
      else js.avgPool2dBackward(gy, gx, p, countIncludePad);
    },
    upsampleNearest2d(x, y, nc, h, w, sh, sw) {
      if (f32(x) && f32(y)) addon.upsampleNearest2d(x, y, nc, h, w, sh, sw);
      else js.upsampleNearest2d(x, y, nc, h, w, sh, sw);
    },
    upsampleNearest2dBackward(gy, gx, nc, h, w, sh, sw) {
      if (f32(gy) && f32(gx)) addon.upsampleNearest2dBackward(gy, gx, nc, h, w, sh, sw);
      else js.upsampleNearest2dBackward(gy, gx, nc, h, w, sh, sw);
    },

    unary(op, x, out, a, b) {
      if (x.length >= SMALL_UNARY && f32(x) && f32(out)) addon.unary(UNARY[op], x, out, a, b);
      else js.unary(op, x, out, a, b);
    },
    unaryGrad(op, x, y, gy, gx, a, b) {
      if (x.length >= SMALL_UNARY && f32(x) && f32(y) && f32(gy) && f32(gx)) addon.unaryGrad(UNARY[op], x, y, gy, gx, a, b);
      else js.unaryGrad(op, x, y, gy, gx, a, b);
    },
    binary(op, a, aShape, b, bShape, out, outShape) {
      const n = out.length;
      if (n < SMALL_BINARY || !(f32(a) && f32(b) && f32(out))) return js.binary(op, a, aShape, b, bShape, out, outShape);
      // an operand as large as the output has the output's shape (up to leading 1s): read it flat
      if (a.length === n && b.length === n) return addon.binary(BINARY[op], 0, a, b, out);
      if (a.length === n && b.length === 1) return addon.binary(BINARY[op], 1, a, b, out);
      if (a.length === 1 && b.length === n) return addon.binary(BINARY[op], 2, a, b, out);
      if (!packBroadcast(outShape, [aShape, bShape])) return js.binary(op, a, aShape, b, bShape, out, outShape);
      addon.binary(BINARY[op], 3, a, b, out, meta);
    },
    where(cond, cShape, a, aShape, b, bShape, out, outShape) {
      if (out.length >= SMALL_BINARY && (f32(cond) || cond instanceof Int32Array) && f32(a) && f32(b) && f32(out) &&
        packBroadcast(outShape, [cShape, aShape, bShape])) {
        addon.where(cond, a, b, out, meta);
      } else js.where(cond, cShape, a, aShape, b, bShape, out, outShape);
    },

    reduce(op, x, outer, dim, inner, out) {
      if (x.length >= SMALL_REDUCE && f32(x) && f32(out)) addon.reduce(REDUCE[op], x, outer, dim, inner, out);
      else js.reduce(op, x, outer, dim, inner, out);
    },
    argReduce(op, x, outer, dim, inner, out) {
      if (x.length >= SMALL_REDUCE && f32(x)) addon.argReduce(op === 'argmax', x, outer, dim, inner, out);
      else js.argReduce(op, x, outer, dim, inner, out);
    },

    softmax(x, y, outer, dim, inner, log) {
      if (f32(x) && f32(y)) addon.softmax(x, y, outer, dim, inner, log);
      else js.softmax(x, y, outer, dim, inner, log);
    },
    softmaxBackward(y, gy, gx, outer, dim, inner, log) {
      if (f32(y) && f32(gy) && f32(gx)) addon.softmaxBackward(y, gy, gx, outer, dim, inner, log);
      else js.softmaxBackward(y, gy, gx, outer, dim, inner, log);
    },

    layerNorm(x, gamma, beta, y, mean, rstd, rows, cols, eps) {
      if (f32(x) && f32n(gamma) && f32n(beta) && f32(y) && f32(mean) && f32(rstd)) addon.layerNorm(x, gamma, beta, y, mean, rstd, rows, cols, eps);
      else js.layerNorm(x, gamma, beta, y, mean, rstd, rows, cols, eps);
    },
    groupNorm(x, gamma, beta, shift, y, mean, rstd, p) {
      if (f32(x) && f32n(gamma) && f32n(beta) && f32n(shift) && f32(y) && f32(mean) && f32(rstd)) {
        addon.groupNorm(x, gamma, beta, shift, y, mean, rstd, p.n, p.c, p.s, p.groups, p.eps, p.act === 'silu' ? 1 : 0);
      } else js.groupNorm(x, gamma, beta, shift, y, mean, rstd, p);
    },
    groupNormBackward(gy, x, gamma, beta, shift, mean, rstd, gx, ggamma, gbeta, gshift, p) {
      if (f32(gy) && f32(x) && f32n(gamma) && f32n(beta) && f32n(shift) && f32(mean) && f32(rstd) && f32(gx) && f32n(ggamma) && f32n(gbeta) && f32n(gshift)) {
        addon.groupNormBackward(gy, x, gamma, beta, shift, mean, rstd, gx, ggamma, gbeta, gshift, p.n, p.c, p.s, p.groups, p.act === 'silu' ? 1 : 0);
      } else js.groupNormBackward(gy, x, gamma, beta, shift, mean, rstd, gx, ggamma, gbeta, gshift, p);
    },
    layerNormBackward(gy, x, gamma, mean, rstd, gx, ggamma, gbeta, rows, cols) {
      if (f32(gy) && f32(x) && f32n(gamma) && f32(mean) && f32(rstd) && f32(gx) && f32n(ggamma) && f32n(gbeta)) {
        addon.layerNormBackward(gy, x, gamma, mean, rstd, gx, ggamma, gbeta, rows, cols);
      } else js.layerNormBackward(gy, x, gamma, mean, rstd, gx, ggamma, gbeta, rows, cols);
    },
    channelMoments(x, n, c, s, mean, variance) {
      if (f32(x) && f32(mean) && f32(variance)) addon.channelMoments(x, n, c, s, mean, variance);
      else js.channelMoments(x, n, c, s, mean, variance);
    },
    channelAffine(x, mean, rstd, gamma, beta, y, n, c, s) {
      if (f32(x) && f32(mean) && f32(rstd) && f32n(gamma) && f32n(beta) && f32(y)) addon.channelAffine(x, mean, rstd, gamma, beta, y, n, c, s);
      else js.channelAffine(x, mean, rstd, gamma, beta, y, n, c, s);
    },
    batchNormBackward(gy, x, mean, rstd, gamma, gx, ggamma, gbeta, n, c, s) {
      if (f32(gy) && f32(x) && f32(mean) && f32(rstd) && f32n(gamma) && f32(gx) && f32n(ggamma) && f32n(gbeta)) {
        addon.batchNormBackward(gy, x, mean, rstd, gamma, gx, ggamma, gbeta, n, c, s);
      } else js.batchNormBackward(gy, x, mean, rstd, gamma, gx, ggamma, gbeta, n, c, s);
    },

    indexSelect(x, idx, out, outer, dim, inner) {
      if (words(x, out)) addon.indexSelect(x as F32 | I32, idx, out as F32 | I32, outer, dim, inner);
      else js.indexSelect(x, idx, out, outer, dim, inner);
    },
    indexAdd(src, idx, out, outer, dim, inner) {
      if (f32(src) && f32(out)) addon.indexAdd(src, idx, out, outer, dim, inner);
      else js.indexAdd(src, idx, out, outer, dim, inner);
    },
    gather(x, index, out, outer, dim, inner, idxDim) {
      if (words(x, out)) addon.gather(x as F32 | I32, index, out as F32 | I32, outer, dim, inner, idxDim);
      else js.gather(x, index, out, outer, dim, inner, idxDim);
    },
    scatterAdd(src, index, out, outer, dim, inner, idxDim) {
      if (f32(src) && f32(out)) addon.scatterAdd(src, index, out, outer, dim, inner, idxDim);
      else js.scatterAdd(src, index, out, outer, dim, inner, idxDim);
    },
    csrMatmul(a, x, out, n) {
      if (f32(a.values) && f32(x) && f32(out)) addon.csrMatmul(a.rowPtr, a.colIdx, a.values, a.rows, a.cols, x, out, n);
      else js.csrMatmul(a, x, out, n);
    },

    sgdStep(p, g, buf, lr, momentum, dampening, weightDecay, nesterov, firstStep) {
      if (f32(p) && f32(g) && f32n(buf)) addon.sgdStep(p, g, buf, lr, momentum, dampening, weightDecay, nesterov, firstStep);
      else js.sgdStep(p, g, buf, lr, momentum, dampening, weightDecay, nesterov, firstStep);
    },
    adamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step) {
      if (f32(p) && f32(g) && f32(m) && f32(v)) addon.adamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step);
      else js.adamStep(p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step);
    },

    lstmCellForward(gates, bias, cPrev, c, h, B, H) {
      if (f32(gates) && f32n(bias) && f32(cPrev) && f32(c) && f32(h)) addon.lstmCellForward(gates, bias, cPrev, c, h, B, H);
      else js.lstmCellForward(gates, bias, cPrev, c, h, B, H);
    },
    lstmCellBackward(gates, c, cPrev, dhOut, dhRec, dc, dGates, B, H) {
      if (f32(gates) && f32(c) && f32(cPrev) && f32(dhOut) && f32n(dhRec) && f32(dc) && f32(dGates)) {
        addon.lstmCellBackward(gates, c, cPrev, dhOut, dhRec, dc, dGates, B, H);
      } else js.lstmCellBackward(gates, c, cPrev, dhOut, dhRec, dc, dGates, B, H);
    },
    rnnCellForward(h, bias, B, H, relu) {
      if (f32(h) && f32n(bias)) addon.rnnCellForward(h, bias, B, H, relu);
      else js.rnnCellForward(h, bias, B, H, relu);
    },
    rnnCellBackward(h, dhOut, dhRec, dz, B, H, relu) {
      if (f32(h) && f32(dhOut) && f32n(dhRec) && f32(dz)) addon.rnnCellBackward(h, dhOut, dhRec, dz, B, H, relu);
      else js.rnnCellBackward(h, dhOut, dhRec, dz, B, H, relu);
    },
    gruCellForward(gx, gh, bias, hPrev, h, B, H) {
      if (f32(gx) && f32(gh) && f32n(bias) && f32(hPrev) && f32(h)) addon.gruCellForward(gx, gh, bias, hPrev, h, B, H);
      else js.gruCellForward(gx, gh, bias, hPrev, h, B, H);
    },
    gruCellBackward(gates, gh, hPrev, dhOut, dhRec, dGx, dGh, dhPrev, B, H) {
      if (f32(gates) && f32(gh) && f32(hPrev) && f32(dhOut) && f32n(dhRec) && f32(dGx) && f32(dGh) && f32(dhPrev)) {
        addon.gruCellBackward(gates, gh, hPrev, dhOut, dhRec, dGx, dGh, dhPrev, B, H);
      } else js.gruCellBackward(gates, gh, hPrev, dhOut, dhRec, dGx, dGh, dhPrev, B, H);
    },

    attentionSoftmax(s, p, bias, mask, padding, q) {
      // masks of 4-byte elements (Float32Array or Int32Array) go native; meta: sizes, flags, then 3×4 strides
      const word = (m: Storage | null) => m === null || m instanceof Float32Array || m instanceof Int32Array;
      if (!(f32(s) && f32(p) && f32n(bias) && word(mask) && word(padding))) return js.attentionSoftmax(s, p, bias, mask, padding, q);
      meta[0] = q.d0; meta[1] = q.d1; meta[2] = q.L; meta[3] = q.S; meta[4] = q.causal ? 1 : 0; meta[5] = q.maskKeepsNonZero ? 1 : 0;
      for (let i = 0; i < 4; i++) { meta[6 + i] = q.biasStrides[i]; meta[10 + i] = q.maskStrides[i]; meta[14 + i] = q.paddingStrides[i]; }
      addon.attentionSoftmax(s, p, bias, mask as F32 | I32 | null, padding as F32 | I32 | null, meta, q.scale);
    },
    attentionSoftmaxBackward(p, gp, keep, gs, rows, S, scale) {
      if (f32(p) && f32(gp) && f32n(keep) && f32(gs)) addon.attentionSoftmaxBackward(p, gp, keep, gs, rows, S, scale);
      else js.attentionSoftmaxBackward(p, gp, keep, gs, rows, S, scale);
    },

    word2vecTrain(inV, outV, nodeV, corpus, t, p, stats) {
      if (!(f32(inV) && f32n(outV) && f32n(nodeV))) return js.word2vecTrain(inV, outV, nodeV, corpus, t, p, stats);
      w2vParams[0] = p.sg ? 1 : 0; w2vParams[1] = p.dim; w2vParams[2] = p.window; w2vParams[3] = p.negative;
      w2vParams[4] = p.hs ? 1 : 0; w2vParams[5] = p.lr; w2vParams[6] = p.minLr; w2vParams[7] = p.epochs; w2vParams[8] = p.epoch;
      w2vParams[9] = p.first; w2vParams[10] = p.last; w2vParams[11] = p.seed; w2vParams[12] = p.threads;
      addon.word2vecTrain(inV, outV, nodeV, corpus.ids, corpus.sentenceStarts, t.keep, t.noiseProb, t.noiseAlias,
        t.codeStart, t.codes, t.points, w2vParams, w2vStats);
      stats.words = w2vStats[0]; stats.kept = w2vStats[1]; stats.loss = w2vStats[2]; stats.terms = w2vStats[3];
    },
    crossEntropyForward(x, target, loss, lse, rows, C, ignoreIndex, smoothing) {
      if (f32(x) && f32(loss) && f32(lse)) addon.crossEntropyForward(x, target, loss, lse, rows, C, ignoreIndex, smoothing);
      else js.crossEntropyForward(x, target, loss, lse, rows, C, ignoreIndex, smoothing);
    },
    crossEntropyBackward(x, target, lse, g, gx, rows, C, ignoreIndex, smoothing) {
      if (f32(x) && f32(lse) && f32(g) && f32(gx)) addon.crossEntropyBackward(x, target, lse, g, gx, rows, C, ignoreIndex, smoothing);
      else js.crossEntropyBackward(x, target, lse, g, gx, rows, C, ignoreIndex, smoothing);
    },

    copyStrided(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape) {
      const nd = shape.length;
      if (!words(src, dst) || nd > MAX_DIMS) return js.copyStrided(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape);
      meta[0] = nd;
      for (let i = 0; i < nd; i++) { meta[1 + i] = shape[i]; meta[1 + nd + i] = srcStrides[i]; meta[1 + 2 * nd + i] = dstStrides[i]; }
      addon.copyStrided(src as F32 | I32, srcOffset, dst as F32 | I32, dstOffset, meta);
    },
  };
}
