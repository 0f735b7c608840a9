import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, tensor, zeros, conv2d, convTranspose2d, maxPool2d, avgPool2d, upsampleNearest2d, adaptiveAvgPool2d, cat, nn } from '../../src/index.ts';
import { loadFixtures, replay, gradcheck, randd, assertClose, type FixtureCase } from '../helpers.ts';

/** Runs the op a fixture case names, with the options recorded in its meta. */
function runCase(c: FixtureCase): (...xs: Tensor[]) => Tensor {
  const m = c.meta;
  switch (m.op) {
    case 'conv2d': return (x, w, b) => conv2d(x, w, b ?? null, { stride: m.stride, padding: m.padding, dilation: m.dilation, groups: m.groups });
    case 'convTranspose2d': return (x, w, b) => convTranspose2d(x, w, b ?? null,
      { stride: m.stride, padding: m.padding, dilation: m.dilation, outputPadding: m.outputPadding, groups: m.groups });
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
  // grouped and depthwise cases of both convolutions
  for (const op of ['conv2d', 'convTranspose2d']) {
    assert.ok(cases.some((c) => c.meta.op === op && c.meta.groups > 1), `${op} groups`);
    assert.ok(cases.some((c) => c.meta.op === op && c.meta.groups > 1 && c.meta.groups === c.inputs[0]!.shape.at(-3)), `${op} depthwise`);
  }
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

test('gradcheck conv2d with groups: grouped with stride/padding/dilation, depthwise with a channel multiplier', () => {
  gradcheck((x, w, b) => conv2d(x, w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 }),
    [randd([2, 4, 5, 6], 40), randd([6, 2, 3, 2], 41), randd([6], 42)], { name: 'conv2d groups 2' });
  gradcheck((x, w, b) => conv2d(x, w, b, { padding: 1, groups: 3 }),
    [randd([2, 3, 4, 4], 43), randd([6, 1, 3, 3], 44), randd([6], 45)], { name: 'conv2d depthwise x2' });
  gradcheck((x, w) => conv2d(x, w, null, { groups: 2 }), [randd([2, 4, 3, 2], 46), randd([4, 2, 1, 1], 47)], { name: 'conv2d 1x1 groups 2' });
});

test('gradcheck convTranspose2d with groups (grouped and depthwise)', () => {
  gradcheck((x, w, b) => convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
    [randd([2, 4, 3, 2], 48), randd([4, 3, 3, 3], 49), randd([6], 50)], { name: 'convTranspose2d groups 2' });
  gradcheck((x, w) => convTranspose2d(x, w, null, { stride: [1, 2], dilation: 2, groups: 3 }),
    [randd([1, 3, 3, 3], 51), randd([3, 1, 2, 2], 52)], { name: 'convTranspose2d depthwise' });
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

/** Channels [from, to) of an (N, C, H, W) tensor, by a gather (a reference for the group slices). */
function channels(t: Tensor, from: number, to: number): Tensor {
  const [n, , h, w] = t.shape, c = t.shape[1], hw = h * w;
  const out = zeros([n, to - from, h, w], { dtype: t.dtype });
  for (let a = 0; a < n; a++) for (let ch = from; ch < to; ch++) {
    for (let i = 0; i < hw; i++) out.data[(a * (to - from) + ch - from) * hw + i] = t.data[(a * c + ch) * hw + i];
  }
  return out;
}

test('grouped conv2d and convTranspose2d equal their groups run separately and concatenated (past the GEMM panels)', () => {
  // per group K = 15·3·3 = 135 and L = 23·23 = 529 crosses the 512-wide panel; 7 output channels per group
  const g = 3, x = randd([2, 45, 23, 23], 60), w = randd([21, 15, 3, 3], 61), b = randd([21], 62);
  const y = conv2d(x, w, b, { padding: 1, groups: g });
  const parts = [0, 1, 2].map((i) => conv2d(channels(x, 15 * i, 15 * (i + 1)), sliceRows(w, 7 * i, 7 * (i + 1)),
    sliceRows(b, 7 * i, 7 * (i + 1)), { padding: 1 }));
  assertClose(y, cat(parts, 1), 'conv2d groups 3 vs per group', 1e-12, 1e-12);
  // transposed: weight (Cin, Cout/g, kh, kw); group i maps input channels [4i, 4i + 4) to output channels [3i, 3i + 3)
  const xt = randd([2, 8, 5, 4], 63), wt = randd([8, 3, 3, 2], 64);
  const yt = convTranspose2d(xt, wt, null, { stride: 2, padding: 1, groups: 2 });
  const tparts = [0, 1].map((i) => convTranspose2d(channels(xt, 4 * i, 4 * i + 4), sliceRows(wt, 4 * i, 4 * i + 4), null, { stride: 2, padding: 1 }));
  assertClose(yt, cat(tparts, 1), 'convTranspose2d groups 2 vs per group', 1e-12, 1e-12);
});

/** Rows [from, to) of the first axis of a contiguous tensor. */
function sliceRows(t: Tensor, from: number, to: number): Tensor {
  const row = t.size / t.shape[0];
  return new Tensor(t.data.slice(from * row, to * row), [to - from, ...t.shape.slice(1)]);
}

test('grouped conv2d gradients satisfy the adjoint identities, depthwise and grouped', () => {
  for (const [x, w, groups] of [[randd([3, 8, 9, 7], 65), randd([16, 1, 3, 3], 66), 8], [randd([2, 6, 8, 8], 67), randd([9, 2, 3, 3], 68), 3]] as const) {
    const y = conv2d(x, w, null, { padding: 1, stride: [1, 2], groups });
    const g = randd([...y.shape], 69);
    y.backward(g.detach());
    const lhs = dot(y, g);
    assert.ok(Math.abs(dot(x, x.grad!) - lhs) <= 1e-9 * Math.abs(lhs), `groups ${groups}: <x, gx> ${dot(x, x.grad!)} != <y, g> ${lhs}`);
    assert.ok(Math.abs(dot(w, w.grad!) - lhs) <= 1e-9 * Math.abs(lhs), `groups ${groups}: <w, gw> ${dot(w, w.grad!)} != <y, g> ${lhs}`);
  }
});

test('grouped and depthwise conv2d in float32 agree with float64 (the native kernels on that backend)', () => {
  for (const [xs, ws, groups, opts] of [
    [[3, 32, 9, 8], [32, 1, 3, 3], 32, { padding: 1 }],             // depthwise, ≥ 16 channels
    [[2, 8, 9, 9], [16, 1, 3, 3], 8, { stride: 2, padding: 2, dilation: 2 }], // depthwise ×2, strided, dilated
    [[2, 32, 7, 6], [32, 16, 3, 3], 2, { padding: 1 }],              // 2 groups of 16: not the groups-1 direct kernels
  ] as const) {
    const x = randd([...xs], 70), w = randd([...ws], 71), b = randd([ws[0]], 72);
    const run = (xx: Tensor, ww: Tensor, bb: Tensor) => {
      const y = conv2d(xx, ww, bb, { ...opts, groups });
      y.backward(randd([...y.shape], 73).detach().to(xx.dtype));
      return [y, xx.grad!, ww.grad!, bb.grad!];
    };
    const [x32, w32, b32] = [x, w, b].map((t) => { const u = t.float().detach(); u.requiresGrad = true; return u; });
    const r64 = run(x, w, b), r32 = run(x32, w32, b32);
    ['forward', 'input gradient', 'weight gradient', 'bias gradient'].forEach((what, i) =>
      assertClose(r32[i], r64[i], `groups ${groups} ${what} f32 vs f64`, 1e-4, 1e-4));
  }
});

test('nn.Conv2d and nn.ConvTranspose2d take groups: weight shapes, fan-in, forward', () => {
  const c = new nn.Conv2d(6, 9, 3, { groups: 3, padding: 1 });
  assert.equal(c.groups, 3);
  assert.deepEqual(c.weight.shape, [9, 2, 3, 3]);
  // fan_in = (cIn/groups)·k·k = 18: every weight and bias inside ±1/√18
  const bound = 1 / Math.sqrt(18);
  assert.ok(Array.from(c.weight.data).every((v) => Math.abs(v) <= bound) && Array.from(c.bias!.data).every((v) => Math.abs(v) <= bound));
  assert.ok(Array.from(c.weight.data).some((v) => Math.abs(v) > 1 / Math.sqrt(54)), 'init bound uses cIn/groups, not cIn');
  const x = randd([1, 6, 4, 4], 74).float();
  assertClose(c.forward(x), conv2d(x, c.weight, c.bias, { padding: 1, groups: 3 }), 'Conv2d groups forward', 0, 0);
  assert.match(c.toString(), /groups=3/);
  assert.deepEqual([...c.stateDict().keys()], ['weight', 'bias']);
  const dw = new nn.Conv2d(4, 4, 3, { groups: 4, bias: false });
  assert.deepEqual(dw.weight.shape, [4, 1, 3, 3]);
  const t = new nn.ConvTranspose2d(4, 6, 4, { groups: 2, stride: 2, padding: 1 });
  assert.deepEqual(t.weight.shape, [4, 3, 4, 4]);
  assert.deepEqual(t.forward(randd([2, 4, 3, 3], 75).float()).shape, [2, 6, 6, 6]);
  assert.throws(() => new nn.Conv2d(6, 9, 3, { groups: 4 }), /Conv2d: inChannels 6 is not divisible by groups = 4/);
  assert.throws(() => new nn.Conv2d(6, 9, 3, { groups: 2 }), /Conv2d: outChannels 9 is not divisible by groups = 2/);
  assert.throws(() => new nn.ConvTranspose2d(4, 6, 3, { groups: 0 }), /ConvTranspose2d: groups must be a positive integer, got 0/);
  assert.throws(() => new nn.Conv2d(4, 4, 3, { groups: 1.5 }), /Conv2d: groups must be a positive integer, got 1.5/);
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

test('conv2d and convTranspose2d reject bad groups, naming the op and the shapes', () => {
  const x = zeros([1, 4, 5, 5]);
  assert.throws(() => conv2d(x, zeros([4, 2, 3, 3]), null, { groups: 0 }), /conv2d: groups must be a positive integer, got 0 \(input \[1, 4, 5, 5\], weight \[4, 2, 3, 3\]\)/);
  assert.throws(() => conv2d(x, zeros([4, 2, 3, 3]), null, { groups: 1.5 }), /conv2d: groups must be a positive integer, got 1.5/);
  assert.throws(() => conv2d(x, zeros([6, 1, 3, 3]), null, { groups: 3 }), /conv2d: input channels 4 is not divisible by groups = 3 \(input \[1, 4, 5, 5\], weight \[6, 1, 3, 3\]\)/);
  assert.throws(() => conv2d(x, zeros([3, 2, 3, 3]), null, { groups: 2 }), /conv2d: output channels \(weight.shape\[0\]\) 3 is not divisible by groups = 2 \(input \[1, 4, 5, 5\], weight \[3, 2, 3, 3\]\)/);
  assert.throws(() => conv2d(x, zeros([4, 4, 3, 3]), null, { groups: 2 }), /conv2d: input \[1, 4, 5, 5\] has 4 channels, but weight \[4, 4, 3, 3\] expects 8 \(4 per group × groups = 2\)/);
  assert.throws(() => conv2d(x, zeros([4, 1, 3, 3]), null, { groups: 2 }), /conv2d: input \[1, 4, 5, 5\] has 4 channels, but weight \[4, 1, 3, 3\] expects 2/);
  assert.throws(() => conv2d(x, zeros([4, 2, 3, 3]), zeros([2]), { groups: 2 }), /conv2d: bias of shape \[2\] does not match weight \[4, 2, 3, 3\]; expected \[4\]/);
  assert.throws(() => convTranspose2d(x, zeros([4, 3, 3, 3]), null, { groups: -1 }), /convTranspose2d: groups must be a positive integer, got -1/);
  assert.throws(() => convTranspose2d(x, zeros([4, 3, 3, 3]), null, { groups: 3 }), /convTranspose2d: input channels 4 is not divisible by groups = 3 \(input \[1, 4, 5, 5\], weight \[4, 3, 3, 3\]\)/);
  assert.throws(() => convTranspose2d(x, zeros([2, 3, 3, 3]), null, { groups: 2 }), /convTranspose2d: input \[1, 4, 5, 5\] has 4 channels, but weight \[2, 3, 3, 3\] expects 2/);
  // the output has weight.shape[1]·groups = 6 channels
  assert.throws(() => convTranspose2d(x, zeros([4, 3, 3, 3]), zeros([3]), { groups: 2 }), /convTranspose2d: bias of shape \[3\] does not match weight \[4, 3, 3, 3\]; expected \[6\]/);
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

test('strided convolutions with ≥ 16 channels in float32 agree with float64 (DCGAN layers: native sub-pixel input gradient, 4×4 weight gradient)', () => {
  for (const [xs, ws, opts] of [
    [[2, 16, 14, 14], [32, 16, 4, 4], { stride: 2, padding: 1 }],  // D's second conv, G's first transposed conv
    [[2, 16, 9, 11], [16, 16, 4, 4], { stride: 2, padding: 1 }],   // odd sizes: the phases have different row counts
    [[1, 16, 10, 10], [16, 16, 6, 6], { stride: 3, padding: 2 }],  // stride 3
    [[2, 16, 8, 8], [16, 16, 2, 2], { stride: 2, padding: 0 }],    // 2×2, no padding
    [[2, 16, 9, 9], [16, 16, 3, 3], { stride: 2, padding: 1 }],    // k not a multiple of the stride: im2col's col2im
  ] as const) {
    const x = randd([...xs], 80), w = randd([...ws], 81);
    const run = (xx: Tensor, ww: Tensor, transposed: boolean) => {
      const y = transposed ? convTranspose2d(xx, ww, null, opts) : conv2d(xx, ww, null, opts);
      y.backward(randd([...y.shape], 82).detach().to(xx.dtype));
      return [y, xx.grad!, ww.grad!];
    };
    for (const transposed of [false, true]) {
      // the transposed layer reads the conv's output shape as its input, with the same weight
      const xin = transposed ? randd([...conv2d(x, w, null, opts).shape], 83) : x;
      const [x32, w32] = [xin, w].map((t) => { const u = t.float().detach(); u.requiresGrad = true; return u; });
      const [x64, w64] = [xin, w].map((t) => { const u = t.detach(); u.requiresGrad = true; return u; });
      const r64 = run(x64, w64, transposed), r32 = run(x32, w32, transposed);
      ['forward', 'input gradient', 'weight gradient'].forEach((what, i) =>
        assertClose(r32[i], r64[i], `${transposed ? 'convTranspose2d' : 'conv2d'} x ${xs} w ${ws} s${opts.stride}: ${what} f32 vs f64`, 1e-4, 1e-4));
    }
  }
});
