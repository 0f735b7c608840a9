// The native backend against the TypeScript one: every native kernel on random float32 inputs of awkward sizes
// (odd lengths, broadcasting, transposed operands, stride-0 batches, sizes that take the threaded paths), plus
// the loader's fallback behaviour. Kernel tests skip when the addon is not built.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative, openblasCoreType, type NativeBackend } from '../../src/backend/native.ts';
import { jsBackend as js } from '../../src/backend/js/index.ts';
import type { Backend, Conv2dParams, Pool2dParams, UnaryOp, BinaryOp, MatmulParams } from '../../src/backend/backend.ts';
import { Generator } from '../../src/random.ts';

const coreTypeBefore = process.env.OPENBLAS_CORETYPE; // recorded before anything loads the addon
const loaded = loadNative();
const nat = typeof loaded === 'string' ? null : loaded;
const skip = nat ? false : `native backend unavailable: ${loaded as string}`;
if (!nat) console.log(`# skipping native kernel tests: ${loaded as string}`);
/** The native backend; only called inside tests that skip without it. */
const N = (): NativeBackend => nat as NativeBackend;

const gen = new Generator(1234);
function randn(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = gen.normal() * scale;
  return a;
}
function randu(n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = gen.uniform(lo, hi);
  return a;
}
function randint(n: number, hi: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = gen.randint(0, hi);
  return a;
}
const copy = <T extends Float32Array | Int32Array>(a: T): T => a.slice() as T;

/**
 * |a − e| ≤ rtol·(|e| + scale) + 1e-37 elementwise, scale defaulting to the RMS of e so results that cancel to
 * ~0 are judged against the size of their terms (1e-37 forgives rounding among float32 denormals).
 * NaNs must match, infinities must be equal.
 */
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5, scale?: number): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  if (scale === undefined) {
    let s = 0, k = 0;
    for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i])) { s += expected[i] ** 2; k++; }
    scale = k ? Math.sqrt(s / k) : 0;
  }
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      assert.ok(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)), `${what}: element ${i} is ${a}, expected ${e}`);
      continue;
    }
    const tol: number = rtol * (Math.abs(e) + scale) + 1e-37;
    if (!(Math.abs(a - e) <= tol)) assert.fail(`${what}: element ${i} is ${a}, expected ${e} (tolerance ${tol.toExponential(2)})`);
  }
}
const same = (a: ArrayLike<number>, e: ArrayLike<number>, what: string): void => assert.deepEqual(Array.from(a), Array.from(e), what);

/** Runs the same kernel on both backends over separate copies of the arguments (outputs included). */
function both<A extends readonly unknown[]>(args: A, run: (b: Backend, ...a: A) => void): [A, A] {
  const dup = (v: unknown): unknown => (v instanceof Float32Array || v instanceof Int32Array ? v.slice() : v);
  const aj = args.map(dup) as unknown as A, an = args.map(dup) as unknown as A;
  run(js, ...aj);
  run(N(), ...an);
  return [an, aj];
}

test('openblasCoreType: SkylakeX with avx512f, Haswell with avx2, else none', () => {
  assert.equal(openblasCoreType('processor : 0\nflags\t\t: fpu sse avx2 avx512f avx512bw\n'), 'SkylakeX');
  assert.equal(openblasCoreType('flags\t\t: fpu sse fma avx2 bmi2\n'), 'Haswell');
  assert.equal(openblasCoreType('flags\t\t: fpu sse sse2 avx\n'), null);
  assert.equal(openblasCoreType('no flags line here'), null);
});

test('loadNative: a missing or broken addon gives a one-line reason, not an exception', () => {
  const missing = loadNative('/nonexistent/deepten.node');
  assert.equal(typeof missing, 'string');
  assert.match(missing as string, /not built/);
  const dir = mkdtempSync(join(tmpdir(), 'deepten-native-'));
  const bogus = join(dir, 'bogus.node');
  writeFileSync(bogus, 'this is not a shared library');
  const broken = loadNative(bogus);
  assert.equal(typeof broken, 'string');
  assert.match(broken as string, /failed/);
  assert.ok(!(broken as string).includes('\n'));
});

describe('native backend', { skip }, () => {
  test('info names the BLAS and the forced OpenBLAS core', () => {
    const info = N().info();
    assert.equal(info.name, 'native');
    assert.equal(N().name, 'native');
    assert.ok(info.threads >= 1);
    assert.match(info.blas, /OpenBLAS|Accelerate|BLAS/);
    if (process.platform === 'linux' && coreTypeBefore === undefined) {
      const want = openblasCoreType(readFileSync('/proc/cpuinfo', 'utf8'));
      assert.equal(process.env.OPENBLAS_CORETYPE, want ?? undefined);
      if (want && info.blas.startsWith('OpenBLAS')) assert.ok(info.blas.includes(`(${want})`), `${info.blas} should use ${want}`);
    }
  });

  test('float64 arrays fall back to the TypeScript kernels', () => {
    const a = Float64Array.from(randn(12)), b = Float64Array.from(randn(20));
    const p: MatmulParams = { batch: 1, m: 3, n: 5, k: 4, transA: false, transB: false, strideA: 0, strideB: 0, beta: 0 };
    const oj = new Float64Array(15), on = new Float64Array(15);
    js.matmul(a, b, oj, p);
    N().matmul(a, b, on, p);
    same(on, oj, 'matmul float64');
    const uj = new Float64Array(12), un = new Float64Array(12);
    js.unary('gelu', a, uj, 0, 0);
    N().unary('gelu', a, un, 0, 0);
    same(un, uj, 'gelu float64');
  });

  test('bad sizes throw an Error naming the kernel instead of reading out of bounds', () => {
    const p: MatmulParams = { batch: 2, m: 3, n: 5, k: 4, transA: false, transB: false, strideA: 12, strideB: 20, beta: 0 };
    assert.throws(() => N().matmul(randn(24), randn(40), new Float32Array(29), p), /matmul.*argument 2 has 29 elements, needs 30/);
    assert.throws(() => N().indexSelect(randn(10), Int32Array.of(0, 10), new Float32Array(2), 1, 10, 1), /indexSelect.*index 10 is out of range/);
    assert.throws(() => N().copyStrided(randn(6), 1, [3, 1], new Float32Array(6), 0, [3, 1], [2, 3]), /copyStrided.*outside/);
  });

  test('matmul: plain, transposed, batched with stride 0, matrix-vector, beta = 1, k = 0, threaded sizes', () => {
    const cases: [number, number, number, number, boolean, boolean, boolean, boolean, number][] = [
      // batch, m, n, k, transA, transB, shareA, shareB, beta
      [1, 7, 5, 3, false, false, false, false, 0],
      [3, 17, 13, 11, true, false, false, false, 0],
      [3, 17, 13, 11, false, true, false, true, 0],
      [4, 9, 6, 5, true, true, true, false, 1],
      [3, 1, 9, 4, false, false, false, false, 0], // m = 1: gemv
      [3, 1, 9, 4, true, true, false, false, 1],
      [2, 6, 1, 5, false, false, false, false, 0], // n = 1: gemv
      [2, 6, 1, 5, true, true, true, false, 1],
      [2, 4, 3, 0, false, false, false, false, 0], // k = 0: out = 0
      [2, 4, 3, 0, false, false, false, false, 1], // k = 0, beta 1: out unchanged
      [16, 12, 10, 9, false, true, false, false, 0], // many small items: split over threads
      // large products: split into row or column slabs over the threads
      [1, 130, 70, 90, false, false, false, false, 0],
      [1, 40, 300, 50, false, true, false, false, 1],
      [1, 200, 50, 60, true, false, false, false, 0],
      [2, 1, 600, 500, false, false, false, false, 0], // matrix × vector, threaded
      [2, 1, 600, 500, true, true, false, false, 1],
      [1, 700, 1, 400, true, false, false, false, 0],
      [1, 700, 1, 400, false, true, false, false, 1],
    ];
    for (const [batch, m, n, k, transA, transB, shareA, shareB, beta] of cases) {
      const strideA = shareA ? 0 : m * k, strideB = shareB ? 0 : k * n;
      const a = randn(Math.max(1, shareA ? m * k : batch * m * k)), b = randn(Math.max(1, shareB ? k * n : batch * k * n));
      const out = randn(batch * m * n);
      out[0] = NaN; // beta 0 must overwrite even NaN
      const p: MatmulParams = { batch, m, n, k, transA, transB, strideA, strideB, beta };
      const [[, , on], [, , oj]] = both([a, b, out] as const, (be, x, y, o) => be.matmul(x, y, o, p));
      close(on, oj, `matmul ${JSON.stringify(p)}`, 1e-5);
    }
  });

  const convCase = (n: number, cIn: number, h: number, w: number, cOut: number, kh: number, kw: number,
    s: [number, number], pad: [number, number], dil: [number, number]): Conv2dParams => ({
    n, cIn, h, w, cOut, kh, kw, strideH: s[0], strideW: s[1], padH: pad[0], padW: pad[1], dilH: dil[0], dilW: dil[1],
    outH: Math.floor((h + 2 * pad[0] - dil[0] * (kh - 1) - 1) / s[0]) + 1,
    outW: Math.floor((w + 2 * pad[1] - dil[1] * (kw - 1) - 1) / s[1]) + 1,
  });
  const convCases: [Conv2dParams, boolean, number?][] = [
    [convCase(3, 2, 7, 9, 4, 3, 2, [2, 1], [1, 0], [1, 2]), true],
    [convCase(1, 3, 8, 6, 5, 3, 3, [1, 1], [1, 1], [1, 1]), false], // one sample: BLAS threads the GEMM
    [convCase(5, 4, 6, 5, 3, 1, 1, [1, 1], [0, 0], [1, 1]), true],  // 1×1: no im2col
    [convCase(4, 3, 11, 10, 6, 5, 3, [2, 3], [2, 1], [1, 1]), false],
    [convCase(2, 1, 5, 5, 2, 5, 5, [1, 1], [2, 2], [1, 1]), true],  // kernel as large as the image
    [convCase(6, 2, 9, 9, 3, 1, 1, [2, 2], [0, 0], [1, 1]), true],  // 1×1 strided: im2col after all
    // ≥ 16 channels, stride 1: the direct kernels (odd widths and channel counts leave partial tiles and vectors)
    [convCase(3, 17, 9, 11, 20, 3, 3, [1, 1], [1, 1], [1, 1]), true],
    [convCase(2, 16, 7, 30, 33, 3, 3, [1, 1], [1, 1], [1, 1]), false],
    [convCase(4, 24, 5, 5, 70, 3, 3, [1, 1], [1, 1], [1, 1]), false],
    [convCase(2, 18, 8, 9, 16, 3, 3, [1, 1], [0, 0], [1, 1]), true],  // no padding
    [convCase(3, 16, 6, 7, 17, 5, 3, [1, 1], [2, 1], [1, 1]), true],  // 5×3 kernel: direct forward, im2col weight gradient
    [convCase(2, 5, 8, 8, 16, 3, 3, [1, 1], [1, 1], [1, 1]), false],  // few input channels: im2col input gradient
    [convCase(3, 16, 9, 10, 20, 3, 3, [2, 2], [1, 1], [1, 1]), true],  // stride 2: direct forward and weight gradient
    [convCase(2, 8, 11, 8, 32, 3, 3, [2, 2], [0, 0], [1, 1]), false],
    [convCase(2, 4, 12, 9, 16, 5, 5, [2, 2], [2, 2], [1, 1]), true],
    [convCase(2, 16, 8, 8, 16, 3, 3, [2, 1], [1, 1], [1, 1]), false], // unequal strides: im2col
    [convCase(3, 6, 14, 13, 16, 5, 5, [1, 1], [0, 0], [1, 1]), true],  // LeNet's second conv: 5×5 weight gradient
    // 3×3 'same', channels multiples of 16: Winograd F(4×4, 3×3) (edge tiles, several images per block, several
    // blocks); its rounding differs from a direct sum by a few ulps of the largest term, hence rtol 1e-4
    [convCase(3, 32, 9, 11, 16, 3, 3, [1, 1], [1, 1], [1, 1]), true, 1e-4],
    [convCase(2, 16, 28, 28, 32, 3, 3, [1, 1], [1, 1], [1, 1]), true, 1e-4],
    [convCase(5, 48, 7, 7, 64, 3, 3, [1, 1], [1, 1], [1, 1]), false, 1e-4],
    [convCase(70, 16, 4, 4, 16, 3, 3, [1, 1], [1, 1], [1, 1]), true, 1e-4],
    // few output channels (an image-producing last layer) and few input channels (its input gradient)
    [convCase(4, 32, 10, 9, 1, 3, 3, [1, 1], [1, 1], [1, 1]), true],
    [convCase(3, 5, 8, 8, 2, 5, 5, [1, 1], [2, 2], [1, 1]), true],
    [convCase(3, 1, 10, 9, 32, 3, 3, [1, 1], [1, 1], [1, 1]), true],
    [convCase(2, 96, 6, 5, 32, 1, 1, [1, 1], [0, 0], [1, 1]), true],  // 1×1: per-sample GEMMs
  ];

  test('conv2d forward, input gradient and weight gradient', () => {
    for (const [p, withBias, rtol = 1e-5] of convCases) {
      const x = randn(p.n * p.cIn * p.h * p.w), w = randn(p.cOut * p.cIn * p.kh * p.kw);
      const bias = withBias ? randn(p.cOut) : null;
      const y = randn(p.n * p.cOut * p.outH * p.outW), gy = randn(y.length);
      const what = `conv ${JSON.stringify(p)}`;
      const [[, , , yn], [, , , yj]] = both([x, w, bias, y] as const, (be, a, b, c, d) => be.conv2d(a, b, c, d, p));
      close(yn, yj, `${what} forward`, rtol);
      const [[, , gxn], [, , gxj]] = both([gy, w, randn(x.length)] as const, (be, a, b, c) => be.conv2dBackwardInput(a, b, c, p));
      close(gxn, gxj, `${what} input gradient`, rtol);
      const gb = withBias ? randn(p.cOut) : null;
      const [[, , gwn, gbn], [, , gwj, gbj]] = both([x, gy, randn(w.length), gb] as const, (be, a, b, c, d) => be.conv2dBackwardWeight(a, b, c, d, p));
      close(gwn, gwj, `${what} weight gradient`, rtol);
      if (gb) close(gbn as Float32Array, gbj as Float32Array, `${what} bias gradient`, rtol);
    }
  });

  test('conv2d and unary ops give the same results on 1, 2 and 3 threads (workers started later join cleanly)', () => {
    const p = convCase(7, 3, 9, 8, 4, 3, 3, [1, 1], [1, 1], [1, 1]);
    const x = randn(p.n * p.cIn * p.h * p.w), w = randn(p.cOut * p.cIn * 9), gy = randn(p.n * p.cOut * p.outH * p.outW);
    const run = (threads: number) => {
      N().setThreads(threads);
      const y = new Float32Array(gy.length), gw = new Float32Array(w.length), gb = new Float32Array(p.cOut);
      N().conv2d(x, w, null, y, p);
      N().conv2dBackwardWeight(x, gy, gw, gb, p);
      const e = new Float32Array(big.length);
      N().unary('exp', big, e, 0, 0);
      return [y, gw, gb, e];
    };
    const big = randn(300001);
    const threads = N().info().threads;
    try {
      const [y1, gw1, gb1, e1] = run(1);
      for (const t of [2, 3, 2]) {
        const [y2, gw2, gb2, e2] = run(t);
        assert.equal(N().info().threads, t);
        same(y2, y1, `forward on ${t} threads`);
        close(gw2, gw1, `weight gradient on ${t} threads`, 1e-6);
        close(gb2, gb1, `bias gradient on ${t} threads`, 1e-6);
        same(e2, e1, `exp on ${t} threads`);
      }
    } finally { N().setThreads(threads); }
  });

  const poolCase = (n: number, c: number, h: number, w: number, kh: number, kw: number, s: [number, number], pad: [number, number]): Pool2dParams => ({
    n, c, h, w, kh, kw, strideH: s[0], strideW: s[1], padH: pad[0], padW: pad[1],
    outH: Math.floor((h + 2 * pad[0] - kh) / s[0]) + 1, outW: Math.floor((w + 2 * pad[1] - kw) / s[1]) + 1,
  });

  test('max / average pooling and nearest upsampling, forward and backward', () => {
    for (const p of [poolCase(2, 3, 7, 9, 2, 2, [2, 2], [0, 0]), poolCase(3, 2, 8, 7, 3, 3, [2, 1], [1, 1]),
      poolCase(1, 1, 5, 5, 3, 2, [1, 2], [1, 1]), poolCase(4, 16, 32, 32, 2, 2, [2, 2], [0, 0])]) {
      const x = randn(p.n * p.c * p.h * p.w);
      x[3] = NaN; // NaN wins a max window, as in PyTorch
      const ny = p.n * p.c * p.outH * p.outW;
      const [[, yn, an], [, yj, aj]] = both([x, new Float32Array(ny), new Int32Array(ny)] as const, (be, a, b, c) => be.maxPool2d(a, b, c, p));
      same(yn, yj, 'maxPool2d');
      same(an, aj, 'maxPool2d argmax');
      const gy = randn(ny);
      const [[, , gn], [, , gj]] = both([gy, aj, randn(x.length)] as const, (be, a, b, c) => be.maxPool2dBackward(a, b, c, p));
      close(gn, gj, 'maxPool2dBackward', 1e-6);
      for (const inc of [true, false]) {
        const xs = randn(x.length);
        const [[, an2], [, aj2]] = both([xs, new Float32Array(ny)] as const, (be, a, b) => be.avgPool2d(a, b, p, inc));
        close(an2, aj2, `avgPool2d countIncludePad=${inc}`, 1e-6);
        const [[, bn], [, bj]] = both([gy, randn(x.length)] as const, (be, a, b) => be.avgPool2dBackward(a, b, p, inc));
        close(bn, bj, `avgPool2dBackward countIncludePad=${inc}`, 1e-6);
      }
    }
    for (const [nc, h, w, sh, sw] of [[3, 4, 5, 2, 3], [2, 3, 3, 1, 2], [64, 16, 16, 2, 2]]) {
      const x = randn(nc * h * w), gy = randn(nc * h * sh * w * sw);
      const [[, yn], [, yj]] = both([x, new Float32Array(gy.length)] as const, (be, a, b) => be.upsampleNearest2d(a, b, nc, h, w, sh, sw));
      same(yn, yj, 'upsampleNearest2d');
      const [[, gn], [, gj]] = both([gy, randn(x.length)] as const, (be, a, b) => be.upsampleNearest2dBackward(a, b, nc, h, w, sh, sw));
      close(gn, gj, 'upsampleNearest2dBackward', 1e-6);
    }
  });

  const unaryOps: [UnaryOp, number, number][] = [
    ['neg', 0, 0], ['exp', 0, 0], ['log', 0, 0], ['sqrt', 0, 0], ['rsqrt', 0, 0], ['abs', 0, 0], ['sign', 0, 0],
    ['reciprocal', 0, 0], ['square', 0, 0], ['sin', 0, 0], ['cos', 0, 0], ['tanh', 0, 0], ['sigmoid', 0, 0],
    ['relu', 0, 0], ['leakyRelu', 0.1, 0], ['elu', 1.3, 0], ['gelu', 0, 0], ['silu', 0, 0], ['softplus', 0, 0],
    ['powScalar', 3, 0], ['powScalar', 2, 0], ['powScalar', 0.5, 0], ['powScalar', -1.5, 0], ['clamp', -0.5, 0.7],
  ];
  const positive = new Set<UnaryOp>(['log', 'sqrt', 'rsqrt', 'powScalar']);
  const specials = [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 30, -30, 100, -100, 1e-3, -1e-3];

  test('unary ops: every op over normal values, tails and special values, single and threaded', () => {
    for (const [op, a, b] of unaryOps) {
      for (const n of [1001, 70001]) {
        const x = positive.has(op) ? randu(n, 1e-3, 5) : randn(n, 3);
        x.set(specials, 0); // negative values give NaN in the positive-domain ops: also a case
        const [[, on], [, oj]] = both([x, new Float32Array(n)] as const, (be, u, o) => be.unary(op, u, o, a, b));
        // relative, with a 1e-11 floor: the TypeScript elu computes e^x − 1 (0 for |x| < 1e-17), native uses expm1
        close(on, oj, `unary ${op}(${a}, ${b}) n=${n}`, 1e-5, 1e-6);
      }
    }
  });

  test('unary ops in place (out = x)', () => {
    const x = randn(3001);
    const xj = x.slice(), xn = x.slice();
    js.unary('tanh', xj, xj, 0, 0);
    N().unary('tanh', xn, xn, 0, 0);
    close(xn, xj, 'tanh in place', 1e-5, 0);
  });

  test('unary derivatives for every op', () => {
    for (const [op, a, b] of unaryOps) {
      const n = 20011;
      const x = positive.has(op) ? randu(n, 1e-2, 5) : randn(n, 3);
      const y = new Float32Array(n);
      js.unary(op, x, y, a, b);
      const gy = randn(n);
      const [[, , , gn], [, , , gj]] = both([x, y, gy, new Float32Array(n)] as const, (be, u, v, g, o) => be.unaryGrad(op, u, v, g, o, a, b));
      close(gn, gj, `unaryGrad ${op}(${a}, ${b})`, 1e-5);
    }
  });

  const binaryOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq', 'ne'];
  const shapePairs: [number[], number[]][] = [
    [[3, 5, 7], [3, 5, 7]], [[3, 5, 7], []], [[1], [6, 9]], [[3, 1, 7], [5, 1]], [[2, 3, 4, 5], [3, 1, 1]],
    [[8, 1], [1, 7]], [[1, 4, 1, 3], [2, 1, 5, 3]], [[300, 257], [257]], [[8, 3, 32, 32], [1, 3, 1, 1]],
    [[2, 3], [2, 3]], // below the native size cutoff: the TypeScript loop
  ];

  test('binary ops with broadcasting', () => {
    const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
    for (const op of binaryOps) {
      for (const [as, bs] of shapePairs) {
        const os = as.length >= bs.length
          ? as.map((d, i) => Math.max(d, bs[i - (as.length - bs.length)] ?? 1))
          : bs.map((d, i) => Math.max(d, as[i - (bs.length - as.length)] ?? 1));
        const a = op === 'pow' ? randu(size(as), 0.1, 3) : randn(size(as));
        const b = randn(size(bs));
        if (op !== 'pow') { for (let i = 0; i < a.length; i += 3) a[i] = Math.round(a[i]); for (let i = 0; i < b.length; i += 2) b[i] = Math.round(b[i]); }
        if (op === 'maximum' || op === 'minimum') { a[1] = NaN; if (b.length > 2) b[2] = NaN; }
        const [[, on], [, oj]] = both([a, b, new Float32Array(size(os))] as const, (be, u, v, o) => be.binary(op, u, as, v, bs, o, os));
        close(on, oj, `binary ${op} ${JSON.stringify(as)} ${JSON.stringify(bs)}`, 1e-6, 0);
      }
    }
  });

  test('int32 binary ops fall back to the TypeScript kernel', () => {
    const a = Int32Array.of(7, -3, 5), b = Int32Array.of(2);
    const oj = new Int32Array(3), on = new Int32Array(3);
    js.binary('div', a, [3], b, [1], oj, [3]);
    N().binary('div', a, [3], b, [1], on, [3]);
    same(on, oj, 'int32 div');
  });

  test('where with float and int32 conditions, broadcast', () => {
    const cases: [number[], number[], number[], number[]][] = [
      [[8, 9], [8, 9], [8, 9], [8, 9]], [[8, 1], [1, 9], [8, 9], [8, 9]], [[5, 1, 6], [6], [4, 1], [5, 4, 6]],
    ];
    const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
    for (const [cs, as, bs, os] of cases) {
      const cf = randn(size(cs)).map((v) => (v > 0 ? 1 : 0));
      const ci = Int32Array.from(cf);
      for (const c of [cf, ci]) {
        const a = randn(size(as)), b = randn(size(bs));
        const [[, , , on], [, , , oj]] = both([c, a, b, new Float32Array(size(os))] as const, (be, k, u, v, o) => be.where(k, cs, u, as, v, bs, o, os));
        same(on, oj, `where ${JSON.stringify([cs, as, bs])} ${c.constructor.name}`);
      }
    }
  });

  // (sizes below 64 elements run the TypeScript kernel, so every layout here is at least that large)
  const layouts: [number, number, number][] = [[3, 27, 1], [1, 1000, 1], [4, 7, 5], [1, 9, 300], [2, 1, 40], [600, 129, 1], [3, 400, 70]];

  test('reduce sum / max / min and argmax / argmin along the middle axis', () => {
    for (const [outer, dim, inner] of layouts) {
      const x = randn(outer * dim * inner);
      for (let i = 0; i < x.length; i += 4) x[i] = Math.round(x[i]); // ties for argmax/argmin
      for (const op of ['sum', 'max', 'min'] as const) {
        const [[, , , , on], [, , , , oj]] = both([x, outer, dim, inner, new Float32Array(outer * inner)] as const,
          (be, u, o, d, i, out) => be.reduce(op, u, o, d, i, out));
        close(on, oj, `reduce ${op} ${[outer, dim, inner]}`, 1e-5);
      }
      if (dim === 0) continue;
      for (const op of ['argmax', 'argmin'] as const) {
        const [[, , , , on], [, , , , oj]] = both([x, outer, dim, inner, new Int32Array(outer * inner)] as const,
          (be, u, o, d, i, out) => be.argReduce(op, u, o, d, i, out));
        same(on, oj, `${op} ${[outer, dim, inner]}`);
      }
    }
    const x = randn(40);
    x[17] = NaN;
    for (const op of ['max', 'min'] as const) {
      const out = new Float32Array(1);
      N().reduce(op, x, 1, 40, 1, out);
      assert.ok(Number.isNaN(out[0]), `${op} with a NaN is NaN`);
    }
  });

  test('softmax and log-softmax, forward and backward', () => {
    for (const [outer, dim, inner] of layouts) {
      if (dim === 0) continue;
      const x = randn(outer * dim * inner, 4);
      if (inner === 1 && outer > 1) for (let d = 0; d < dim; d++) x[dim + d] = -Infinity; // an all −∞ row
      for (const log of [false, true]) {
        const what = `${log ? 'log' : ''}softmax ${[outer, dim, inner]}`;
        const [[, yn], [, yj]] = both([x, new Float32Array(x.length)] as const, (be, u, y) => be.softmax(u, y, outer, dim, inner, log));
        close(yn, yj, what, 1e-5);
        const gy = randn(x.length);
        const y = yj.map((v) => (Number.isFinite(v) ? v : -1e30)); // the backward reads exp(y) for log-softmax
        const [[, , gn], [, , gj]] = both([y, gy, new Float32Array(x.length)] as const, (be, a, g, o) => be.softmaxBackward(a, g, o, outer, dim, inner, log));
        close(gn, gj, `${what} backward`, 1e-5);
      }
    }
  });

  test('layer norm forward and backward, with and without affine parameters', () => {
    for (const [rows, cols] of [[13, 37], [1, 5], [600, 64], [7, 1]]) {
      for (const affine of [true, false]) {
        const x = randn(rows * cols, 2), gy = randn(rows * cols);
        const gamma = affine ? randn(cols) : null, beta = affine ? randn(cols) : null;
        const what = `layerNorm ${rows}×${cols} affine=${affine}`;
        const [[, , , yn, mn, rn], [, , , yj, mj, rj]] = both([x, gamma, beta, new Float32Array(rows * cols), new Float32Array(rows), new Float32Array(rows)] as const,
          (be, a, g, b, y, m, r) => be.layerNorm(a, g, b, y, m, r, rows, cols, 1e-5));
        close(yn, yj, what, 1e-5);
        close(mn, mj, `${what} mean`, 1e-6);
        close(rn, rj, `${what} rstd`, 1e-6);
        const [[, , , , , gxn, ggn, gbn], [, , , , , gxj, ggj, gbj]] = both(
          [gy, x, gamma, mj, rj, new Float32Array(rows * cols), affine ? new Float32Array(cols) : null, affine ? new Float32Array(cols) : null] as const,
          (be, g, a, gm, m, r, gx, gg, gb) => be.layerNormBackward(g, a, gm, m, r, gx, gg, gb, rows, cols));
        // one column: the gradient is 0 up to the rounding of terms of size rstd·|gy·γ| ≈ 300
        close(gxn, gxj, `${what} input gradient`, 1e-5, cols === 1 ? 1e3 : undefined);
        if (affine) {
          close(ggn as Float32Array, ggj as Float32Array, `${what} gamma gradient`, 1e-5);
          close(gbn as Float32Array, gbj as Float32Array, `${what} beta gradient`, 1e-5);
        }
      }
    }
  });

  test('batch norm kernels: moments, affine, backward', () => {
    for (const [n, c, s] of [[3, 5, 7], [1, 2, 1], [16, 8, 64], [2, 64, 256]]) {
      for (const affine of [true, false]) {
        const what = `batchNorm ${[n, c, s]} affine=${affine}`;
        const x = randn(n * c * s, 3);
        for (let i = 0; i < x.length; i++) x[i] += 5;
        const [[, , , , mn, vn], [, , , , mj, vj]] = both([x, n, c, s, new Float32Array(c), new Float32Array(c)] as const,
          (be, a, nn, cc, ss, m, v) => be.channelMoments(a, nn, cc, ss, m, v));
        close(mn, mj, `${what} mean`, 1e-6);
        close(vn, vj, `${what} variance`, 1e-5);
        const rstd = vj.map((v) => 1 / Math.sqrt(v + 1e-5));
        const gamma = affine ? randn(c) : null, beta = affine ? randn(c) : null;
        const [[, , , , , yn], [, , , , , yj]] = both([x, mj, rstd, gamma, beta, new Float32Array(x.length)] as const,
          (be, a, m, r, g, b, y) => be.channelAffine(a, m, r, g, b, y, n, c, s));
        close(yn, yj, `${what} affine`, 1e-5);
        const gy = randn(x.length);
        const [[, , , , , gxn, ggn, gbn], [, , , , , gxj, ggj, gbj]] = both(
          [gy, x, mj, rstd, gamma, new Float32Array(x.length), affine ? new Float32Array(c) : null, affine ? new Float32Array(c) : null] as const,
          (be, g, a, m, r, gm, gx, gg, gb) => be.batchNormBackward(g, a, m, r, gm, gx, gg, gb, n, c, s));
        close(gxn, gxj, `${what} input gradient`, 1e-5);
        if (affine) {
          close(ggn as Float32Array, ggj as Float32Array, `${what} gamma gradient`, 1e-5);
          close(gbn as Float32Array, gbj as Float32Array, `${what} beta gradient`, 1e-5);
        }
      }
    }
  });

  test('indexSelect / indexAdd / gather / scatterAdd, float32 and int32, repeated indices', () => {
    for (const [outer, dim, inner, nIdx] of [[1, 10, 7, 13], [3, 5, 1, 4], [2, 50, 300, 80], [40, 30, 20, 25]]) {
      const idx = randint(nIdx, dim);
      const x = randn(outer * dim * inner), xi = randint(outer * dim * inner, 1000);
      const what = `${[outer, dim, inner, nIdx]}`;
      const [[, , on], [, , oj]] = both([x, idx, new Float32Array(outer * nIdx * inner)] as const, (be, a, i, o) => be.indexSelect(a, i, o, outer, dim, inner));
      same(on, oj, `indexSelect ${what}`);
      const [[, , oni], [, , oji]] = both([xi, idx, new Int32Array(outer * nIdx * inner)] as const, (be, a, i, o) => be.indexSelect(a, i, o, outer, dim, inner));
      same(oni, oji, `indexSelect int32 ${what}`);
      const src = randn(outer * nIdx * inner);
      const [[, , an], [, , aj]] = both([src, idx, randn(outer * dim * inner)] as const, (be, s, i, o) => be.indexAdd(s, i, o, outer, dim, inner));
      close(an, aj, `indexAdd ${what}`, 1e-6);
      const index = randint(outer * nIdx * inner, dim);
      const [[, , gn], [, , gj]] = both([x, index, new Float32Array(index.length)] as const, (be, a, i, o) => be.gather(a, i, o, outer, dim, inner, nIdx));
      same(gn, gj, `gather ${what}`);
      const [[, , sn], [, , sj]] = both([src, index, randn(outer * dim * inner)] as const, (be, s, i, o) => be.scatterAdd(s, i, o, outer, dim, inner, nIdx));
      close(sn, sj, `scatterAdd ${what}`, 1e-6);
    }
  });

  test('csrMatmul', () => {
    for (const [rows, cols, n, density] of [[7, 5, 3, 0.4], [50, 40, 17, 0.1], [300, 300, 64, 0.05]]) {
      const rowPtr = new Int32Array(rows + 1), colIdx: number[] = [];
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) if (gen.random() < density) colIdx.push(c);
        rowPtr[r + 1] = colIdx.length;
      }
      const a = { rows, cols, rowPtr, colIdx: Int32Array.from(colIdx), values: randn(colIdx.length) };
      const x = randn(cols * n);
      const [[, on], [, oj]] = both([x, randn(rows * n)] as const, (be, u, o) => be.csrMatmul(a, u, o, n));
      close(on, oj, `csrMatmul ${[rows, cols, n]}`, 1e-5);
    }
  });

  test('sgd and adam steps match the TypeScript updates', () => {
    for (const n of [1, 1001, 100003]) {
      for (const [momentum, dampening, wd, nesterov, first] of [[0, 0, 0, false, false], [0.9, 0, 1e-2, false, true], [0.9, 0.1, 0, true, false], [0.5, 0, 1e-3, true, false]] as const) {
        const [[pn, , bn], [pj, , bj]] = both([randn(n), randn(n), momentum ? randn(n) : null] as const,
          (be, p, g, b) => be.sgdStep(p, g, b, 0.1, momentum, dampening, wd, nesterov, first));
        close(pn, pj, `sgd p n=${n} ${[momentum, dampening, wd, nesterov, first]}`, 1e-6);
        if (bn) close(bn, bj as Float32Array, 'sgd momentum buffer', 1e-6);
      }
      for (const [wd, decoupled, step] of [[0, false, 1], [1e-2, false, 3], [1e-2, true, 10]] as const) {
        const v0 = randu(n, 0, 1);
        const [[pn, , mn, vn], [pj, , mj, vj]] = both([randn(n), randn(n), randn(n), v0] as const,
          (be, p, g, m, v) => be.adamStep(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, wd, decoupled, step));
        close(pn, pj, `adam p n=${n} ${[wd, decoupled, step]}`, 1e-6);
        close(mn, mj, 'adam m', 1e-6);
        close(vn, vj, 'adam v', 1e-6);
      }
    }
  });

  test('copyStrided: permutes, slices with offsets, expands, large transposes, int32', () => {
    const cases: [number[], number, number[], number, number[], number, number][] = [
      // shape, srcOffset, srcStrides, dstOffset, dstStrides, srcLen, dstLen
      [[4, 2, 3], 0, [1, 12, 4], 0, [6, 3, 1], 24, 24],         // permute (2, 3, 4) → (4, 2, 3)
      [[2, 3], 5, [8, 1], 0, [3, 1], 24, 6],                    // slice with an offset
      [[3, 4], 0, [0, 1], 0, [4, 1], 4, 12],                    // expand a row
      [[5, 2], 1, [2, 0], 3, [2, 1], 11, 13],                   // expand a column, offsets on both sides
      [[40, 50], 0, [1, 40], 0, [50, 1], 2000, 2000],           // transpose: tiled path
      [[3, 37, 45], 7, [1665, 1, 37], 0, [1665, 45, 1], 5002, 4995], // batched transpose
      [[2, 3, 4, 5], 0, [60, 5, 15, 1], 0, [60, 20, 5, 1], 120, 120], // swap middle axes, contiguous rows
      [[300, 400], 0, [400, 1], 0, [400, 1], 120000, 120000],   // contiguous, threaded
      [[], 3, [], 1, [], 5, 4],                                 // a scalar
    ];
    for (const [shape, so, ss, dof, ds, sl, dl] of cases) {
      const what = `copyStrided ${JSON.stringify([shape, so, ss, dof, ds])}`;
      const [[, , , dn], [, , , dj]] = both([randn(sl), so, ss, randn(dl), dof, ds, shape] as const,
        (be, s, a, b, d, c, e, f) => be.copyStrided(s, a, b, d, c, e, f));
      same(dn, dj, what);
      const [[, , , dni], [, , , dji]] = both([randint(sl, 100), so, ss, randint(dl, 100), dof, ds, shape] as const,
        (be, s, a, b, d, c, e, f) => be.copyStrided(s, a, b, d, c, e, f));
      same(dni, dji, `${what} int32`);
    }
  });

  test('typed arrays that are views at a byte offset are read in place', () => {
    const big = randn(100);
    const a = big.subarray(10, 22), b = big.subarray(40, 60); // 3×4 · 4×5
    const p: MatmulParams = { batch: 1, m: 3, n: 5, k: 4, transA: false, transB: false, strideA: 0, strideB: 0, beta: 0 };
    const oj = new Float32Array(15), on = new Float32Array(15);
    js.matmul(a, b, oj, p);
    N().matmul(a, b, on, p);
    close(on, oj, 'matmul on subarrays', 1e-5);
    const out = new Float32Array(30);
    N().unary('exp', a, out.subarray(5, 17), 0, 0);
    assert.equal(out[4], 0);
    assert.equal(out[17], 0);
    close(out.subarray(5, 17), a.map(Math.exp), 'exp into a subarray', 1e-6);
  });
});

test('conv2d with groups: forward, input gradient and weight gradient (depthwise loops and per-group GEMMs)', { skip }, () => {
  const groupCase = (n: number, cIn: number, h: number, w: number, cOut: number, kh: number, kw: number,
    s: [number, number], pad: [number, number], dil: [number, number], groups: number): Conv2dParams => ({
    n, cIn, h, w, cOut, kh, kw, strideH: s[0], strideW: s[1], padH: pad[0], padW: pad[1], dilH: dil[0], dilW: dil[1],
    outH: Math.floor((h + 2 * pad[0] - dil[0] * (kh - 1) - 1) / s[0]) + 1,
    outW: Math.floor((w + 2 * pad[1] - dil[1] * (kw - 1) - 1) / s[1]) + 1, groups,
  });
  const cases: [Conv2dParams, boolean][] = [
    // depthwise, ≥ 16 channels, stride 1: shapes the groups-1 direct kernels would take
    [groupCase(3, 32, 9, 11, 32, 3, 3, [1, 1], [1, 1], [1, 1], 32), true],
    [groupCase(2, 16, 10, 9, 32, 3, 3, [2, 2], [1, 1], [1, 1], 16), false],  // channel multiplier 2, stride 2
    [groupCase(2, 5, 9, 8, 5, 3, 2, [1, 2], [2, 1], [2, 1], 5), true],        // dilated, unequal strides
    [groupCase(1, 3, 12, 13, 6, 5, 5, [1, 1], [2, 2], [1, 1], 3), true],      // one sample
    [groupCase(3, 8, 7, 6, 8, 3, 3, [1, 1], [0, 0], [1, 2], 8), true],        // no padding, dilated
    [groupCase(2, 4, 6, 7, 8, 2, 3, [1, 1], [2, 3], [1, 1], 4), false],       // padding beyond the kernel span
    // grouped GEMMs: ≥ 16 channels per group (stride 1), small images (several samples per GEMM), one sample
    [groupCase(2, 32, 7, 8, 32, 3, 3, [1, 1], [1, 1], [1, 1], 2), true],
    [groupCase(6, 8, 5, 5, 12, 3, 3, [1, 1], [1, 1], [1, 1], 4), true],
    [groupCase(1, 6, 9, 7, 9, 3, 2, [2, 1], [1, 0], [1, 2], 3), false],
    [groupCase(5, 4, 6, 5, 6, 1, 1, [1, 1], [0, 0], [1, 1], 2), true],        // 1×1
    [groupCase(3, 20, 6, 6, 16, 5, 5, [2, 2], [2, 2], [1, 1], 4), false],
  ];
  for (const [p, withBias] of cases) {
    const K = (p.cIn / p.groups!) * p.kh * p.kw;
    const x = randn(p.n * p.cIn * p.h * p.w), w = randn(p.cOut * K);
    const bias = withBias ? randn(p.cOut) : null;
    const y = randn(p.n * p.cOut * p.outH * p.outW), gy = randn(y.length);
    const what = `grouped conv ${JSON.stringify(p)}`;
    const [[, , , yn], [, , , yj]] = both([x, w, bias, y] as const, (be, a, b, c, d) => be.conv2d(a, b, c, d, p));
    close(yn, yj, `${what} forward`);
    const [[, , gxn], [, , gxj]] = both([gy, w, randn(x.length)] as const, (be, a, b, c) => be.conv2dBackwardInput(a, b, c, p));
    close(gxn, gxj, `${what} input gradient`);
    const gb = withBias ? randn(p.cOut) : null;
    const [[, , gwn, gbn], [, , gwj, gbj]] = both([x, gy, randn(w.length), gb] as const, (be, a, b, c, d) => be.conv2dBackwardWeight(a, b, c, d, p));
    close(gwn, gwj, `${what} weight gradient`);
    if (gb) close(gbn as Float32Array, gbj as Float32Array, `${what} bias gradient`);
  }
  // the addon checks groups itself
  const bad = groupCase(1, 4, 5, 5, 6, 3, 3, [1, 1], [0, 0], [1, 1], 3);
  assert.throws(() => N().conv2d(randn(100), randn(72), null, new Float32Array(54), bad), /groups must be >= 1 and divide both channel counts/);
});

test('matmul with leading dimensions, strideC and a two-level batch: native = js = naive, padding of out untouched', { skip }, () => {
  // batch, inner, m, n, k, transA, transB, beta; every matrix gets row padding (ld = row length + pad) and the
  // batch items sit apart (strides with gaps), outer items further apart still
  const cases: [number, number, number, number, number, boolean, boolean, number][] = [
    [6, 3, 5, 7, 4, false, true, 0],  // attention Q·Kᵀ-like
    [6, 2, 7, 4, 5, false, false, 1],
    [4, 4, 6, 5, 3, true, false, 0],   // one outer item
    [4, 1, 3, 6, 7, true, true, 1],    // inner 1
    [3, 3, 1, 9, 4, false, false, 0],  // m = 1 (gemv shapes take sgemm when strided)
    [2, 1, 6, 1, 5, true, false, 1],   // n = 1
    [24, 6, 12, 10, 9, false, true, 0], // many small items: split over threads
    [1, 1, 130, 70, 90, false, false, 1], // large: split into slabs
  ];
  for (const [batch, inner, m, n, k, transA, transB, beta] of cases) {
    const outer = batch / inner;
    const [rA, cA] = transA ? [k, m] : [m, k], [rB, cB] = transB ? [n, k] : [k, n];
    const lda = cA + 3, ldb = cB + 2, ldc = n + 4;
    const strideA = rA * lda + 5, strideB = rB * ldb + 1, strideC = m * ldc + 6;
    const outerStrideA = inner * strideA + 7, outerStrideB = inner * strideB + 2, outerStrideC = inner * strideC + 3;
    const span = (so: number, si: number, r: number, ld: number) => (outer - 1) * so + (inner - 1) * si + r * ld;
    const a = randn(span(outerStrideA, strideA, rA, lda)), b = randn(span(outerStrideB, strideB, rB, ldb));
    const out = randn(span(outerStrideC, strideC, m, ldc));
    const p: MatmulParams = { batch, inner, m, n, k, transA, transB, strideA, strideB, beta, lda, ldb, ldc, strideC, outerStrideA, outerStrideB, outerStrideC };
    const what = `strided matmul ${JSON.stringify(p)}`;
    // naive reference; `covered` marks the elements of out the items own
    const expected = Float64Array.from(out), covered = new Uint8Array(out.length);
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
      const oa = o * outerStrideA + i * strideA, ob = o * outerStrideB + i * strideB, oc = o * outerStrideC + i * strideC;
      for (let r = 0; r < m; r++) for (let c = 0; c < n; c++) {
        let acc = 0;
        for (let q = 0; q < k; q++) acc += a[oa + (transA ? q * lda + r : r * lda + q)] * b[ob + (transB ? c * ldb + q : q * ldb + c)];
        const at = oc + r * ldc + c;
        expected[at] = acc + beta * out[at];
        covered[at] = 1;
      }
    }
    if (beta === 0) out[outerStrideC * (outer - 1) + strideC * (inner - 1)] = NaN; // beta 0 overwrites even NaN
    const [[, , on], [, , oj]] = both([a, b, out] as const, (be, x, y, o) => be.matmul(x, y, o, p));
    close(on, oj, `${what}: native vs js`, 1e-5);
    close(oj, expected, `${what}: js vs naive`, 1e-5);
    for (let i = 0; i < out.length; i++) {
      if (covered[i]) continue;
      assert.ok(Object.is(on[i], out[i]) && Object.is(oj[i], out[i]), `${what}: padding element ${i} changed`);
    }
  }
  // the addon checks the buffers against the strided extent
  const p: MatmulParams = { batch: 2, m: 2, n: 2, k: 2, transA: false, transB: false, strideA: 4, strideB: 4, beta: 0, ldc: 3, strideC: 6 };
  assert.throws(() => N().matmul(randn(8), randn(8), new Float32Array(10), p), /matmul.*argument 2 has 10 elements, needs 11/);
  assert.throws(() => N().matmul(randn(8), randn(8), new Float32Array(11), { ...p, inner: 3 }), /matmul: batch 2 is not a multiple of inner 3/);
  assert.throws(() => N().matmul(randn(8), randn(8), new Float32Array(11), { ...p, lda: 1 }), /matmul: a leading dimension is smaller/);
});
