import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, tensor, zeros, conv2d, convTranspose2d, maxPool2d, avgPool2d, upsampleNearest2d, adaptiveAvgPool2d } from '../src/index.ts';
import { loadFixtures, replay, gradcheck, randd, assertClose, type FixtureCase } from './helpers.ts';

/** Runs the op a fixture case names, with the options recorded in its meta. */
function runCase(c: FixtureCase): (...xs: Tensor[]) => Tensor {
  const m = c.meta;
  switch (m.op) {
    case 'conv2d': return (x, w, b) => conv2d(x, w, b ?? null, { stride: m.stride, padding: m.padding, dilation: m.dilation });
    case 'convTranspose2d': return (x, w, b) => convTranspose2d(x, w, b ?? null,
      { stride: m.stride, padding: m.padding, dilation: m.dilation, outputPadding: m.outputPadding });
    case 'maxPool2d': return (x) => maxPool2d(x, m.kernelSize, { stride: m.stride, padding: m.padding });
    case 'avgPool2d': return (x) => avgPool2d(x, m.kernelSize, { stride: m.stride, padding: m.padding, countIncludePad: m.countIncludePad });
    case 'upsampleNearest2d': return (x) => upsampleNearest2d(x, m.scaleFactor);
    case 'adaptiveAvgPool2d': return (x) => adaptiveAvgPool2d(x, m.outputSize);
    default: throw new Error(`unknown op ${m.op} in fixture ${c.name}`);
  }
}

const cases = loadFixtures('conv');

test('fixtures cover every op', () => {
  const ops = new Set(cases.map((c) => c.meta.op));
  for (const op of ['conv2d', 'convTranspose2d', 'maxPool2d', 'avgPool2d', 'upsampleNearest2d', 'adaptiveAvgPool2d']) assert.ok(ops.has(op), op);
});

for (const c of cases) {
  test(`fixture ${c.name}`, () => replay(c, runCase(c), { rtol: 1e-4, atol: 1e-5 }));
}

// ---------- gradchecks (float64, tiny shapes) ----------

test('gradcheck conv2d: stride, padding, dilation, bias', () => {
  gradcheck((x, w, b) => conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2] }),
    [randd([2, 2, 5, 6], 1), randd([3, 2, 3, 2], 2), randd([3], 3)], { name: 'conv2d' });
});

test('gradcheck conv2d: 1x1 kernel (im2col skipped) and unbatched input', () => {
  gradcheck((x, w) => conv2d(x, w), [randd([2, 3, 3, 4], 4), randd([2, 3, 1, 1], 5)], { name: 'conv2d 1x1' });
  gradcheck((x, w, b) => conv2d(x, w, b, { padding: 1 }), [randd([2, 4, 3], 6), randd([2, 2, 3, 3], 7), randd([2], 8)], { name: 'conv2d 3-D' });
});

test('gradcheck conv2d: bias gradient when the weight is frozen', () => {
  const w = randd([2, 2, 2, 2], 9);
  w.requiresGrad = false;
  gradcheck((x, b) => conv2d(x, w, b, { stride: 2 }), [randd([1, 2, 4, 5], 10), randd([2], 11)], { name: 'conv2d frozen w' });
});

test('gradcheck convTranspose2d: DCGAN geometry and a dilated, output-padded case', () => {
  gradcheck((x, w, b) => convTranspose2d(x, w, b, { stride: 2, padding: 1 }),
    [randd([2, 3, 3, 2], 12), randd([3, 2, 4, 4], 13), randd([2], 14)], { name: 'convTranspose2d k4s2p1' });
  gradcheck((x, w) => convTranspose2d(x, w, null, { stride: [2, 1], padding: 1, dilation: [1, 2], outputPadding: [1, 1] }),
    [randd([1, 2, 3, 3], 15), randd([2, 3, 3, 2], 16)], { name: 'convTranspose2d dilated' });
});

/** Distinct values spaced 0.1 apart in a shuffled order, so finite differences never cross a tie in a max. */
function spaced(shape: number[], seed: number): Tensor {
  const t = randd(shape, seed);
  const order = Array.from(t.data, (v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
  order.forEach(([, i], rank) => { t.data[i] = 0.1 * rank - 0.05 * order.length; });
  return t;
}

test('gradcheck maxPool2d (non-overlapping, overlapping with padding, unbatched)', () => {
  gradcheck((x) => maxPool2d(x, 2), [spaced([2, 2, 4, 5], 17)], { name: 'maxPool2d 2x2' });
  gradcheck((x) => maxPool2d(x, 3, { stride: 2, padding: 1 }), [spaced([1, 2, 5, 6], 18)], { name: 'maxPool2d 3x3 s2 p1' });
  gradcheck((x) => maxPool2d(x, [2, 3], { stride: 1 }), [spaced([2, 3, 4], 19)], { name: 'maxPool2d 3-D' });
});

test('gradcheck avgPool2d with and without countIncludePad', () => {
  for (const countIncludePad of [true, false]) {
    gradcheck((x) => avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad }), [randd([2, 2, 5, 4], 20)], { name: `avgPool2d ${countIncludePad}` });
  }
  gradcheck((x) => avgPool2d(x, [2, 1]), [randd([3, 4, 3], 21)], { name: 'avgPool2d 3-D' });
});

test('gradcheck upsampleNearest2d and adaptiveAvgPool2d', () => {
  gradcheck((x) => upsampleNearest2d(x, [2, 3]), [randd([2, 2, 2, 3], 22)], { name: 'upsampleNearest2d' });
  gradcheck((x) => upsampleNearest2d(x, 2), [randd([2, 3, 2], 23)], { name: 'upsampleNearest2d 3-D' });
  gradcheck((x) => adaptiveAvgPool2d(x, 1), [randd([2, 3, 3, 2], 24)], { name: 'adaptiveAvgPool2d' });
});

// ---------- direct values the fixtures do not pin down ----------

test('maxPool2d never picks padding, even when every real value is negative', () => {
  const x = tensor([[[[-5, -4], [-3, -2]]]]);
  const y = maxPool2d(x, 3, { stride: 1, padding: 1 });
  assertClose(y, [-2, -2, -2, -2], 'maxPool2d all-negative');
});

/** conv2d by its definition, for geometries larger than the fixtures. */
function directConv(x: Tensor, w: Tensor, s: number, pad: number, dil: number): Float64Array {
  const [n, c, h, wd] = x.shape, [co, , kh, kw] = w.shape;
  const oh = Math.floor((h + 2 * pad - dil * (kh - 1) - 1) / s) + 1, ow = Math.floor((wd + 2 * pad - dil * (kw - 1) - 1) / s) + 1;
  const out = new Float64Array(n * co * oh * ow);
  for (let a = 0; a < n; a++) for (let o = 0; o < co; o++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let acc = 0;
    for (let ch = 0; ch < c; ch++) for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) {
      const yy = i * s - pad + u * dil, xx = j * s - pad + v * dil;
      if (yy >= 0 && yy < h && xx >= 0 && xx < wd) acc += w.data[((o * c + ch) * kh + u) * kw + v] * x.data[((a * c + ch) * h + yy) * wd + xx];
    }
    out[((a * co + o) * oh + i) * ow + j] = acc;
  }
  return out;
}

function dot(a: Tensor, b: Tensor): number {
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i] * b.data[i];
  return s;
}

// K = 29·3·3 = 261 and L = 23·23 = 529 cross the GEMM panels (256 deep, 512 wide) and leave ragged 4×4 tile edges;
// Cout = 7 leaves three rows outside the tiles
const bigX = randd([2, 29, 23, 23], 30), bigW = randd([7, 29, 3, 3], 31);

test('conv2d matches its definition on a layer larger than the GEMM panels', () => {
  assertClose(conv2d(bigX, bigW, null, { padding: 1 }), Array.from(directConv(bigX, bigW, 1, 1, 1)), 'conv2d 3x3 pad 1', 1e-10, 1e-10);
  const x = randd([2, 5, 13, 12], 32), w = randd([6, 5, 3, 3], 33);
  assertClose(conv2d(x, w, null, { stride: 2, padding: 1, dilation: 2 }), Array.from(directConv(x, w, 2, 1, 2)), 'conv2d s2 d2', 1e-10, 1e-10);
});

test('conv2d gradients on that layer satisfy the adjoint identities <A x, g> = <x, Aᵀg> and = <w, ∂/∂w>', () => {
  const x = randd([...bigX.shape], 30), w = randd([...bigW.shape], 31);
  const y = conv2d(x, w, null, { padding: 1 });
  const g = randd([...y.shape], 34);
  y.backward(g.detach());
  const lhs = dot(y, g);
  assert.ok(Math.abs(dot(x, x.grad!) - lhs) <= 1e-9 * Math.abs(lhs), `<x, gx> ${dot(x, x.grad!)} != <y, g> ${lhs}`);
  assert.ok(Math.abs(dot(w, w.grad!) - lhs) <= 1e-9 * Math.abs(lhs), `<w, gw> ${dot(w, w.grad!)} != <y, g> ${lhs}`);
});

test('conv2d in float32 agrees with float64', () => {
  const x = randd([3, 6, 14, 13], 35), w = randd([7, 6, 5, 5], 36), b = randd([7], 37);
  assertClose(conv2d(x.float(), w.float(), b.float(), { padding: 2 }), conv2d(x, w, b, { padding: 2 }), 'conv2d f32 vs f64', 1e-4, 1e-4);
});

// ---------- bad inputs ----------

test('conv2d rejects bad inputs, naming the op and the shapes', () => {
  const x = zeros([1, 3, 8, 8]), w = zeros([4, 3, 3, 3]);
  assert.throws(() => conv2d(zeros([3, 8]), w), /conv2d: expected a 3-D .* or 4-D .* got shape \[3, 8\]/);
  assert.throws(() => conv2d(x, zeros([4, 3, 3])), /conv2d: expected a 4-D weight .* \[4, 3, 3\] \(input \[1, 3, 8, 8\]\)/);
  assert.throws(() => conv2d(zeros([1, 2, 8, 8]), w), /conv2d: input \[1, 2, 8, 8\] has 2 channels, but weight \[4, 3, 3, 3\] expects 3/);
  assert.throws(() => conv2d(x, w, zeros([3])), /conv2d: bias of shape \[3\] does not match weight \[4, 3, 3, 3\]/);
  assert.throws(() => conv2d(zeros([1, 3, 2, 8]), w), /conv2d: kernel of weight \[4, 3, 3, 3\] .* larger than the padded input \[2, 8\] of input \[1, 3, 2, 8\]/);
  assert.throws(() => conv2d(zeros([1, 3, 4, 4]), w, null, { dilation: 2 }), /conv2d: .*dilated span \[5, 5\].*padded input \[4, 4\]/);
  assert.throws(() => conv2d(x, w, null, { stride: 0 }), /conv2d: stride must be a positive integer/);
  assert.throws(() => conv2d(x, w, null, { stride: [1, -2] }), /conv2d: stride must be a positive integer/);
  assert.throws(() => conv2d(x, w, null, { padding: -1 }), /conv2d: padding must be a non-negative integer/);
  assert.throws(() => conv2d(x, w, null, { dilation: 1.5 }), /conv2d: dilation must be a positive integer/);
  assert.throws(() => conv2d(x, zeros([4, 3, 3, 3], { dtype: 'float64' })), /conv2d: dtype mismatch, input float32 \[1, 3, 8, 8\] vs float64 \[4, 3, 3, 3\]/);
  assert.throws(() => conv2d(zeros([1, 3, 8, 8], { dtype: 'int32' }), w), /conv2d: expected float tensors, got int32 of shape \[1, 3, 8, 8\]/);
});

test('convTranspose2d rejects bad inputs, naming the op and the shapes', () => {
  const x = zeros([1, 4, 3, 3]), w = zeros([4, 2, 4, 4]);
  assert.throws(() => convTranspose2d(zeros([4, 3]), w), /convTranspose2d: expected a 3-D .* got shape \[4, 3\]/);
  assert.throws(() => convTranspose2d(zeros([1, 2, 3, 3]), w), /convTranspose2d: input \[1, 2, 3, 3\] has 2 channels, but weight \[4, 2, 4, 4\] expects 4/);
  assert.throws(() => convTranspose2d(x, w, zeros([4])), /convTranspose2d: bias of shape \[4\] does not match weight \[4, 2, 4, 4\]; expected \[2\]/);
  assert.throws(() => convTranspose2d(x, w, null, { stride: 2, outputPadding: 2 }), /convTranspose2d: outputPadding \[2, 2\] must be smaller than either stride \[2, 2\] or dilation \[1, 1\]/);
  assert.throws(() => convTranspose2d(x, w, null, { stride: [2, 3], outputPadding: [2, 0] }), /convTranspose2d: outputPadding \[2, 0\] must be smaller/);
  assert.throws(() => convTranspose2d(x, w, null, { stride: [3, 2], outputPadding: [0, 2] }), /convTranspose2d: outputPadding \[0, 2\] must be smaller/);
  assert.throws(() => convTranspose2d(zeros([1, 4, 1, 1]), zeros([4, 2, 1, 1]), null, { padding: 1 }), /convTranspose2d: padding \[1, 1\] leaves an empty output \[-1, -1\] for input \[1, 4, 1, 1\]/);
  assert.throws(() => convTranspose2d(x, w, null, { stride: 0 }), /convTranspose2d: stride must be a positive integer/);
  assert.throws(() => convTranspose2d(x.double(), w), /convTranspose2d: dtype mismatch, input float64 \[1, 4, 3, 3\] vs float32 \[4, 2, 4, 4\]/);
});

test('pooling ops reject bad inputs, naming the op and the shapes', () => {
  const x = zeros([1, 2, 4, 4]);
  assert.throws(() => maxPool2d(zeros([4, 4]), 2), /maxPool2d: expected a 3-D .* got shape \[4, 4\]/);
  assert.throws(() => maxPool2d(x, 5), /maxPool2d: kernel size \[5, 5\] is larger than the padded input \[4, 4\] of input \[1, 2, 4, 4\]/);
  assert.throws(() => maxPool2d(x, 2, { stride: 0 }), /maxPool2d: stride must be a positive integer/);
  assert.throws(() => maxPool2d(x, 2, { padding: 2 }), /maxPool2d: padding \[2, 2\] must be at most half the kernel size \[2, 2\] \(input \[1, 2, 4, 4\]\)/);
  assert.throws(() => maxPool2d(x, 0), /maxPool2d: kernelSize must be a positive integer/);
  assert.throws(() => maxPool2d(zeros([1, 2, 4, 4], { dtype: 'int32' }), 2), /maxPool2d: expected a float tensor, got int32 of shape \[1, 2, 4, 4\]/);
  assert.throws(() => avgPool2d(zeros([2, 1, 1, 3, 3]), 2), /avgPool2d: expected a 3-D .* got shape \[2, 1, 1, 3, 3\]/);
  assert.throws(() => avgPool2d(x, [2, 6]), /avgPool2d: kernel size \[2, 6\] is larger than the padded input \[4, 4\]/);
  assert.throws(() => avgPool2d(x, 2, { stride: -1 }), /avgPool2d: stride must be a positive integer/);
  assert.throws(() => upsampleNearest2d(x, 1.5), /upsampleNearest2d: scaleFactor must be a positive integer/);
  assert.throws(() => upsampleNearest2d(zeros([4]), 2), /upsampleNearest2d: expected a 3-D .* got shape \[4\]/);
  assert.throws(() => adaptiveAvgPool2d(x, [2, 2] as unknown as 1), /adaptiveAvgPool2d: only outputSize 1 .* got \[2,2\] for input \[1, 2, 4, 4\]/);
  assert.throws(() => adaptiveAvgPool2d(zeros([4, 4]), 1), /adaptiveAvgPool2d: expected a 3-D .* got shape \[4, 4\]/);
});
