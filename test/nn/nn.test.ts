// nn: Module bookkeeping, state dicts, init statistics, and every layer against PyTorch (weights loaded through
// loadStateDict; outputs, input gradients and parameter gradients compared), plus float64 gradchecks of the
// hand-written linear and LSTM backward passes.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as dt from '../../src/index.ts';
import { nn, Generator, Tensor, manualSeed, randn, tensor, zeros } from '../../src/index.ts';
import { decode, gradcheck, randd, assertClose, backendName, type Encoded } from '../helpers.ts';

const { init } = nn;

// ---------- PyTorch fixtures ----------

interface NnCase {
  name: string;
  config: { type: string; args: any[] };
  mode: 'train' | 'eval';
  meta: Record<string, any>;
  state: Record<string, Encoded>;
  inputs: (Encoded | null)[];
  outputs: (Encoded | null)[];
  upstream: (Encoded | null)[];
  inputGrads: (Encoded | null)[];
  paramGrads: Record<string, Encoded | null>;
  stateAfter: Record<string, Encoded>;
}

function loadCases(): NnCase[] {
  const path = fileURLToPath(new URL('../fixtures/nn.json', import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')).cases;
}

function build(config: NnCase['config']): nn.Module {
  const Ctor = (nn as any)[config.type];
  assert.ok(Ctor, `no nn.${config.type}`);
  return new Ctor(...config.args);
}

/** Runs the module the way gen_nn.py called the torch one; returns the flat output list. */
function run(c: NnCase, m: nn.Module, xs: Tensor[], variant = ''): (Tensor | null)[] {
  const t = c.config.type;
  if (t === 'LSTM') {
    const [out, [h, cc]] = (m as nn.LSTM).forward(xs[0], xs.length === 3 ? [xs[1], xs[2]] : undefined);
    return [out, h, cc];
  }
  if (t === 'LSTMCell') return (m as nn.LSTMCell).forward(xs[0], [xs[1], xs[2]]);
  if (t === 'MultiheadAttention') {
    const mha = m as nn.MultiheadAttention;
    if (c.meta.kind === 'cross') return mha.forward(xs[0], xs[1], xs[2], { averageAttnWeights: c.meta.averageAttnWeights });
    const opts: nn.AttentionForwardOptions = {};
    (c.meta.masks as string[]).forEach((name, i) => { (opts as any)[name] = xs[i + 1]; });
    // the causal fixture's mask is exactly the look-ahead mask, so isCausal must give the same result
    if (variant === 'isCausal') { opts.attnMask = null; opts.isCausal = true; }
    return mha.forward(xs[0], xs[0], xs[0], opts);
  }
  return [m.forward(...xs)];
}

function replayModule(c: NnCase, variant = ''): void {
  const m = build(c.config);
  // PyTorch's state_dict order and names
  assert.deepEqual([...m.stateDict().keys()], Object.keys(c.state), `${c.name}: state dict keys`);
  m.loadStateDict(new Map(Object.entries(c.state).map(([k, e]) => [k, decode(e)])));
  m.train(c.mode === 'train');
  const xs = c.inputs.map((e) => decode(e!, e!.dtype === 'float32'));
  const outs = run(c, m, xs, variant);
  assert.equal(outs.length, c.outputs.length, `${c.name}: number of outputs`);
  c.outputs.forEach((e, i) => e && assertClose(outs[i], e, `${c.name}: output ${i}`, 1e-4, 1e-5));
  let loss: Tensor | null = null;
  c.upstream.forEach((u, i) => {
    if (!u) return;
    const term = outs[i]!.mul(decode(u)).sum();
    loss = loss ? loss.add(term) : term;
  });
  (loss as unknown as Tensor).backward();
  c.inputGrads.forEach((g, i) => g && assertClose(xs[i].grad, g, `${c.name}: gradient of input ${i}`, 1e-4, 1e-4));
  const params = new Map(m.namedParameters());
  assert.deepEqual([...params.keys()], Object.keys(c.paramGrads), `${c.name}: parameter names`);
  for (const [name, g] of Object.entries(c.paramGrads)) if (g) assertClose(params.get(name)!.grad, g, `${c.name}: gradient of ${name}`, 1e-4, 1e-4);
  const after = m.stateDict();
  for (const [name, e] of Object.entries(c.stateAfter)) assertClose(after.get(name)!, e, `${c.name}: ${name} after forward`, 1e-5, 1e-6);
}

describe(`nn layers match PyTorch (${backendName} backend)`, () => {
  const cases = loadCases();
  test('fixtures present', () => assert.equal(cases.length, 24));
  for (const c of cases) test(c.name, () => replayModule(c));
  const causal = cases.find((c) => c.name === 'mha batch-first causal mask')!;
  test('mha isCausal equals the explicit look-ahead mask', () => replayModule(causal, 'isCausal'));
});

// ---------- Module bookkeeping ----------

class Block extends nn.Module {
  fc = new nn.Linear(3, 4);
  norm = new nn.BatchNorm1d(4);
  forward(x: Tensor): Tensor { return this.norm.forward(this.fc.forward(x)).relu(); }
}

class Net extends nn.Module {
  scale: nn.Parameter;
  layers = new nn.ModuleList([new Block(), new Block()]);
  head: nn.Sequential;
  constructor() {
    super();
    this.scale = this.registerParameter('scale', dt.ones([1]));
    this.head = new nn.Sequential(new nn.Linear(3, 2), new nn.Tanh());
    this.registerBuffer('steps', zeros([1]));
    this.registerBuffer('cache', zeros([2]), false);
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (const b of this.layers) h = (b as Block).forward(h).narrow(1, 0, 3);
    return this.head.forward(h).mul(this.scale);
  }
}

describe('Module', () => {
  test('namedParameters: dotted names in registration order', () => {
    const names = [...new Net().namedParameters()].map(([n]) => n);
    assert.deepEqual(names, ['scale', 'layers.0.fc.weight', 'layers.0.fc.bias', 'layers.0.norm.weight', 'layers.0.norm.bias',
      'layers.1.fc.weight', 'layers.1.fc.bias', 'layers.1.norm.weight', 'layers.1.norm.bias', 'head.0.weight', 'head.0.bias']);
    assert.ok(new Net().parameters().every((p) => p instanceof nn.Parameter && p.requiresGrad));
  });

  test('buffers, persistence, and state dict order (params, buffers, then children)', () => {
    const net = new Net();
    assert.deepEqual([...net.namedBuffers()].map(([n]) => n).slice(0, 3), ['steps', 'cache', 'layers.0.norm.running_mean']);
    const keys = [...net.stateDict().keys()];
    assert.deepEqual(keys.slice(0, 8), ['scale', 'steps', 'layers.0.fc.weight', 'layers.0.fc.bias', 'layers.0.norm.weight',
      'layers.0.norm.bias', 'layers.0.norm.running_mean', 'layers.0.norm.running_var']);
    assert.ok(!keys.includes('cache'), 'non-persistent buffer excluded');
    assert.ok(keys.includes('layers.1.norm.num_batches_tracked'));
    assert.equal(net.buffers().length, 2 + 2 * 3);
  });

  test('children, modules, train/eval, apply, numParameters', () => {
    const net = new Net();
    assert.deepEqual([...net.namedChildren()].map(([n]) => n), ['layers', 'head']);
    assert.equal([...net.modules()].length, 1 + 1 + 2 * 3 + 3);
    assert.equal(net.training, true);
    net.eval();
    assert.ok([...net.modules()].every((m) => !m.training));
    net.train();
    assert.ok([...net.modules()].every((m) => m.training));
    const visited: string[] = [];
    net.apply((m) => visited.push(m.constructor.name));
    assert.equal(visited[visited.length - 1], 'Net', 'apply visits children before the module');
    assert.equal(visited[0], 'Linear');
    assert.equal(net.numParameters(), 1 + 2 * (12 + 4 + 4 + 4) + (6 + 2));
    net.head.get(0).requiresGrad_(false);
    assert.equal(net.numParameters(true), 1 + 2 * 24);
  });

  test('zeroGrad clears every gradient', () => {
    const net = new Net();
    net.forward(randn([5, 3])).sum().backward();
    assert.ok(net.parameters().every((p) => p.grad !== null));
    net.zeroGrad(false);
    assert.ok(net.parameters().every((p) => p.grad !== null && p.grad.toArray().every((v) => v === 0)));
    net.zeroGrad();
    assert.ok(net.parameters().every((p) => p.grad === null));
  });

  test('a tied parameter is listed once but saved under both names; reassignment re-registers', () => {
    const a = new nn.Linear(3, 3), b = new nn.Linear(3, 3);
    const seq = new nn.Sequential(a, b);
    b.weight = a.weight;
    assert.equal(seq.parameters().length, 3);
    assert.deepEqual([...seq.stateDict().keys()], ['0.weight', '0.bias', '1.weight', '1.bias']);
    const d = seq.double();
    assert.equal((d.get(0) as nn.Linear).weight, (d.get(1) as nn.Linear).weight, 'still tied after to(float64)');
    assert.equal((d.get(0) as nn.Linear).weight.dtype, 'float64');
    b.bias = null;
    assert.deepEqual([...seq.stateDict().keys()], ['0.weight', '0.bias', '1.weight']);
  });

  test('registration errors', () => {
    const m = new nn.Identity();
    assert.throws(() => m.registerParameter('a.b', zeros([1])), /registerParameter: name 'a.b'/);
    assert.throws(() => m.registerModule('forward', new nn.ReLU()), /registerModule: 'forward' would shadow/);
    assert.throws(() => m.registerBuffer('w', nn.parameter(zeros([1]))), /registerBuffer: 'w' is a Parameter/);
    assert.throws(() => nn.parameter(zeros([2], { dtype: 'int32' })), /parameter: parameters must be float tensors, got int32 of shape \[2\]/);
  });

  test('Sequential, ModuleList, ModuleDict', () => {
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    assert.ok(seq[0] instanceof nn.Linear);
    assert.equal(seq.length, 2);
    assert.ok(seq.get(-1) instanceof nn.ReLU);
    assert.throws(() => seq.get(2), /Sequential.get: index 2 is out of range for 2 module\(s\)/);
    const named = new nn.Sequential({ conv: new nn.Linear(2, 2), act: new nn.Tanh() });
    assert.deepEqual([...named.stateDict().keys()], ['conv.weight', 'conv.bias']);
    assertClose(named.forward(tensor([[0, 0]])), [Array.from((named.get(0) as nn.Linear).bias!.data, Math.tanh)].flat(), 'tanh(bias)', 1e-6, 1e-7);
    const list = new nn.ModuleList([new nn.Linear(1, 1)]).append(new nn.Linear(1, 2));
    assert.equal(list.length, 2);
    assert.equal(list.get(1).outFeatures, 2);
    assert.throws(() => list.get(5), /ModuleList.get: index 5 is out of range/);
    assert.throws(() => list.forward(), /has no forward/);
    const dict = new nn.ModuleDict<nn.Module>({ enc: new nn.Linear(2, 2), dec: new nn.Linear(2, 1) });
    assert.deepEqual(dict.keys(), ['enc', 'dec']);
    assert.deepEqual([...dict.stateDict().keys()], ['enc.weight', 'enc.bias', 'dec.weight', 'dec.bias']);
    assert.throws(() => dict.get('nope'), /ModuleDict.get: no module named 'nope'/);
    assert.throws(() => dict.set('train', new nn.ReLU()), /would shadow/);
    assert.match(seq.toString(), /Sequential\(\n {2}\(0\): Linear\(in_features=2, out_features=3, bias=true\)\n {2}\(1\): ReLU\(\)\n\)/);
  });
});

// ---------- state dicts ----------

describe('stateDict / loadStateDict', () => {
  test('round trip: a differently initialised model becomes identical', () => {
    manualSeed(1);
    const a = new Net();
    manualSeed(2);
    const b = new Net();
    a.forward(randn([6, 3])); // moves a's running stats and num_batches_tracked
    const x = randn([4, 3]);
    a.eval(); b.eval();
    assert.notDeepEqual(a.forward(x).toArray(), b.forward(x).toArray());
    const res = b.loadStateDict(a.stateDict());
    assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
    assert.deepEqual(b.forward(x).toArray(), a.forward(x).toArray());
    assert.equal((b.stateDict().get('layers.0.norm.num_batches_tracked')!).item(), 1);
    // loading copies: changing the source afterwards leaves b alone
    const w = a.layers.get(0) as Block;
    w.fc.weight.data[0] += 1;
    assert.notEqual((b.layers.get(0) as Block).fc.weight.data[0], w.fc.weight.data[0]);
  });

  test('stateDict values share storage and are detached; a plain object is accepted too', () => {
    const l = new nn.Linear(2, 2);
    const sd = l.stateDict();
    assert.equal(sd.get('weight')!.data, l.weight.data);
    assert.equal(sd.get('weight')!.requiresGrad, false);
    const l2 = new nn.Linear(2, 2);
    l2.loadStateDict(Object.fromEntries(sd));
    assert.deepEqual(l2.weight.toArray(), l.weight.toArray());
  });

  test('strict: missing and unexpected keys throw and copy nothing; non-strict reports them', () => {
    const l = new nn.Linear(2, 2);
    const before = l.weight.toArray();
    const sd = new Map([['weight', zeros([2, 2])], ['extra', zeros([1])]]);
    assert.throws(() => l.loadStateDict(sd), (e: Error) => /missing keys: 'bias'/.test(e.message) && /unexpected keys: 'extra'/.test(e.message));
    assert.deepEqual(l.weight.toArray(), before, 'nothing copied');
    const res = l.loadStateDict(sd, { strict: false });
    assert.deepEqual(res, { missingKeys: ['bias'], unexpectedKeys: ['extra'] });
    assert.deepEqual(l.weight.toArray(), [0, 0, 0, 0]);
  });

  test('any shape mismatch throws, strict or not, naming the key and both shapes', () => {
    const net = new Net();
    const sd = net.stateDict();
    sd.set('layers.1.fc.weight', zeros([3, 4]));
    for (const strict of [true, false]) {
      assert.throws(() => net.loadStateDict(sd, { strict }), /size mismatch for 'layers\.1\.fc\.weight'.*shape \[3, 4\].*shape in the current model is \[4, 3\]/);
    }
  });

  test('float64 weights load into a float32 model (converted)', () => {
    const l = new nn.Linear(2, 1, { bias: false });
    l.loadStateDict({ weight: tensor([[0.5, 0.25]], { dtype: 'float64' }) });
    assert.equal(l.weight.dtype, 'float32');
    assert.deepEqual(l.weight.toArray(), [0.5, 0.25]);
  });
});

// ---------- initialisation ----------

function stats(t: Tensor): { min: number; max: number; mean: number; std: number } {
  let min = Infinity, max = -Infinity, s = 0, s2 = 0;
  for (const v of t.data) { min = Math.min(min, v); max = Math.max(max, v); s += v; s2 += v * v; }
  const mean = s / t.size;
  return { min, max, mean, std: Math.sqrt(s2 / t.size - mean * mean) };
}

/** Checks t ~ U(−bound, bound): inside the bound, reaching close to it, std ≈ bound/√3. */
function assertUniform(t: Tensor, bound: number, what: string): void {
  const st = stats(t);
  assert.ok(st.min >= -bound && st.max <= bound, `${what}: [${st.min}, ${st.max}] exceeds ±${bound}`);
  const tol = t.size > 1e5 ? 0.01 : 0.05;
  assert.ok(st.max > bound * (1 - tol) && st.min < -bound * (1 - tol), `${what}: [${st.min}, ${st.max}] does not fill ±${bound}`);
  assert.ok(Math.abs(st.std / (bound / Math.sqrt(3)) - 1) < (t.size > 1e5 ? 0.01 : 0.1), `${what}: std ${st.std}, expected ${bound / Math.sqrt(3)}`);
  assert.ok(Math.abs(st.mean) < 4 * bound / Math.sqrt(3 * t.size), `${what}: mean ${st.mean}`);
}

function assertNormal(t: Tensor, std: number, what: string): void {
  const st = stats(t);
  assert.ok(Math.abs(st.std / std - 1) < (t.size > 1e5 ? 0.01 : 0.05), `${what}: std ${st.std}, expected ${std}`);
  assert.ok(Math.abs(st.mean) < 5 * std / Math.sqrt(t.size), `${what}: mean ${st.mean}`);
}

describe('default initialisation (PyTorch formulas)', () => {
  test('Linear(1000, 1000): weight and bias ~ U(±1/√1000)', () => {
    const l = new nn.Linear(1000, 1000);
    assertUniform(l.weight, 1 / Math.sqrt(1000), 'weight');
    assertUniform(l.bias!, 1 / Math.sqrt(1000), 'bias');
  });

  test('Conv2d uses fan_in = cIn·kh·kw; ConvTranspose2d uses cOut·kh·kw', () => {
    const c = new nn.Conv2d(16, 64, 3);
    assert.deepEqual(c.weight.shape, [64, 16, 3, 3]);
    assertUniform(c.weight, 1 / Math.sqrt(16 * 9), 'conv weight');
    assertUniform(c.bias!, 1 / Math.sqrt(16 * 9), 'conv bias');
    const t = new nn.ConvTranspose2d(64, 8, [3, 2]);
    assert.deepEqual(t.weight.shape, [64, 8, 3, 2]);
    assertUniform(t.weight, 1 / Math.sqrt(8 * 6), 'transposed weight');
  });

  test('Embedding ~ N(0, 1) with the padding row zero; norms start at weight 1, bias 0', () => {
    const e = new nn.Embedding(1000, 64, { paddingIdx: -1 });
    assert.equal(e.paddingIdx, 999);
    assert.ok(e.weight.toArray().slice(999 * 64).every((v) => v === 0));
    assertNormal(e.weight.narrow(0, 0, 999), 1, 'embedding');
    for (const m of [new nn.BatchNorm2d(5), new nn.LayerNorm(5), new nn.GroupNorm(1, 5)]) {
      assert.deepEqual(m.weight!.toArray(), [1, 1, 1, 1, 1]);
      assert.deepEqual(m.bias!.toArray(), [0, 0, 0, 0, 0]);
    }
    const pre = nn.Embedding.fromPretrained(tensor([[1, 2], [3, 4]]));
    assert.deepEqual(pre.forward(tensor([1, 0], { dtype: 'int32' })).toArray(), [3, 4, 1, 2]);
    assert.equal(pre.weight.requiresGrad, false);
    const bn = new nn.BatchNorm1d(2);
    assert.deepEqual(bn.running_mean!.toArray(), [0, 0]);
    assert.deepEqual(bn.running_var!.toArray(), [1, 1]);
    assert.equal(bn.num_batches_tracked!.dtype, 'int32');
  });

  test('LSTM: every parameter ~ U(±1/√hidden)', () => {
    const lstm = new nn.LSTM(100, 256, { numLayers: 2 });
    for (const [name, p] of lstm.namedParameters()) assertUniform(p, 1 / 16, name);
  });

  test('MultiheadAttention: xavier in_proj, Linear out_proj weight, zero biases', () => {
    const m = new nn.MultiheadAttention(256, 8);
    assertUniform(m.in_proj_weight, Math.sqrt(6 / (256 + 768)), 'in_proj_weight');
    assertUniform(m.out_proj.weight, 1 / 16, 'out_proj.weight');
    assert.ok(m.in_proj_bias!.toArray().every((v) => v === 0));
    assert.ok(m.out_proj.bias!.toArray().every((v) => v === 0));
  });

  test('init functions: gains, fans, modes', () => {
    assert.equal(init.calculateGain('relu'), Math.SQRT2);
    assert.equal(init.calculateGain('tanh'), 5 / 3);
    assert.equal(init.calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
    assert.equal(init.calculateGain('leaky_relu', Math.sqrt(5)), Math.sqrt(1 / 3));
    assert.equal(init.calculateGain('selu'), 0.75);
    assert.equal(init.calculateGain('conv2d'), 1);
    assert.deepEqual(init.calculateFanInAndFanOut([32, 16, 3, 3]), [144, 288]);
    const w = zeros([400, 300]);
    assertNormal(init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' }), Math.SQRT2 / Math.sqrt(400), 'kaimingNormal_ fan_out');
    assertUniform(init.kaimingUniform_(w, { nonlinearity: 'relu' }), Math.sqrt(2) * Math.sqrt(3 / 300), 'kaimingUniform_ relu');
    assertUniform(init.xavierUniform_(w, 2), 2 * Math.sqrt(6 / 700), 'xavierUniform_ gain 2');
    assertNormal(init.xavierNormal_(w), Math.sqrt(2 / 700), 'xavierNormal_');
    assertNormal(init.normal_(w, 3, 0.5).sub(3), 0.5, 'normal_');
    assertUniform(init.uniform_(w, -2, 2), 2, 'uniform_');
    const tn = init.truncNormal_(zeros([20000]), 0, 1, -1, 1);
    assert.ok(stats(tn).min >= -1 && stats(tn).max <= 1);
    assert.deepEqual(init.constant_(zeros([2]), 7).toArray(), [7, 7]);
    assert.deepEqual(init.eye_(zeros([2, 3])).toArray(), [1, 0, 0, 0, 1, 0]);
    assert.throws(() => init.kaimingUniform_(zeros([5])), /calculateFanInAndFanOut: fan in and fan out need at least 2 dimensions, got shape \[5\]/);
    assert.throws(() => init.kaimingUniform_(zeros([2, 2]), { mode: 'fan_avg' as any }), /kaimingUniform_: mode must be 'fan_in' or 'fan_out'/);
    assert.throws(() => init.calculateGain('swish' as any), /calculateGain: unsupported nonlinearity 'swish'/);
    assert.throws(() => init.uniform_(zeros([2], { dtype: 'int32' })), /uniform_: expected a float tensor, got int32 of shape \[2\]/);
  });

  test('same seed → identical weights; a different seed or generator → different ones', () => {
    const make = () => new nn.Sequential(new nn.Conv2d(2, 3, 3), new nn.Linear(4, 5), new nn.LSTM(3, 4), new nn.Embedding(5, 2));
    const flat = (m: nn.Module) => m.parameters().flatMap((p) => p.toArray());
    manualSeed(42);
    const a = flat(make());
    manualSeed(42);
    assert.deepEqual(flat(make()), a);
    manualSeed(43);
    assert.notDeepEqual(flat(make()), a);
    const g1 = new nn.Linear(3, 3, { generator: new Generator(7) }), g2 = new nn.Linear(3, 3, { generator: new Generator(7) });
    assert.deepEqual(flat(g1), flat(g2));
  });
});

// ---------- layers: behaviour, gradchecks, bad inputs ----------

describe('Linear', () => {
  test('matches x·Wᵀ + b', () => {
    const l = new nn.Linear(3, 2);
    const x = randn([4, 3]);
    assertClose(l.forward(x), x.matmul(l.weight.T).add(l.bias!), 'linear', 1e-6, 1e-6);
  });
  test('bad inputs', () => {
    const l = new nn.Linear(3, 2);
    assert.throws(() => l.forward(zeros([2, 4])), /linear: input's last dimension must be 3, got input \[2, 4\], weight \[2, 3\], bias \[2\]/);
    assert.throws(() => l.forward(zeros([2, 3], { dtype: 'float64' })), /linear: dtype mismatch \(float64 input, float32 weight/);
    assert.throws(() => l.forward(zeros([2, 3], { dtype: 'int32' })), /linear: expected float tensors, got int32/);
    assert.throws(() => new nn.Linear(0, 2), /Linear: inFeatures must be a positive integer, got 0/);
  });
});

describe('LSTM', () => {
  test('gradcheck of the fused recurrence (float64), forward and reverse, with and without bias', () => {
    for (const reverse of [false, true]) {
      gradcheck((gx, w, h, c, b) => nn.lstmRecurrence(gx, w, b, h, c, reverse),
        [randd([4, 2, 12], 1), randd([12, 3], 2, [-0.5, 0.5]), randd([2, 3], 3), randd([2, 3], 4), randd([12], 5)], { name: `lstmRecurrence reverse=${reverse}` });
    }
    gradcheck((gx, w, h, c) => nn.lstmRecurrence(gx, w, null, h, c), [randd([1, 3, 8], 6), randd([8, 2], 7), randd([3, 2], 8), randd([3, 2], 9)], { name: 'lstmRecurrence T=1' });
  });

  test('gradcheck of a 2-layer bidirectional module wrt input, state and every parameter (float64)', () => {
    const lstm = new nn.LSTM(2, 2, { numLayers: 2, bidirectional: true, batchFirst: true, dtype: 'float64', generator: new Generator(3) });
    const x = randd([2, 3, 2], 10), h = randd([4, 2, 2], 11), c = randd([4, 2, 2], 12);
    gradcheck((x2, h2, c2) => {
      const [out, [hn, cn]] = lstm.forward(x2, [h2, c2]);
      return dt.cat([out.flatten(), hn.flatten(), cn.flatten()]);
    }, [x, h, c, ...lstm.parameters()], { name: 'LSTM module' });
  });

  test('LSTMCell equals one step of a 1-layer LSTM with the same weights', () => {
    const cell = new nn.LSTMCell(3, 4), lstm = new nn.LSTM(3, 4);
    lstm.loadStateDict(new Map([...cell.stateDict()].map(([k, v]) => [`${k}_l0`, v])));
    const x = randn([2, 3]), h = randn([2, 4]), c = randn([2, 4]);
    const [h1, c1] = cell.forward(x, [h, c]);
    const [out, [hn, cn]] = lstm.forward(x.unsqueeze(0), [h.unsqueeze(0), c.unsqueeze(0)]);
    assertClose(h1, hn.squeeze(0), 'h', 1e-6, 1e-6);
    assertClose(c1, cn.squeeze(0), 'c', 1e-6, 1e-6);
    assertClose(h1, out.squeeze(0), 'output', 1e-6, 1e-6);
    const [hu] = cell.forward(x.select(0, 1));
    assert.deepEqual(hu.shape, [4]);
  });

  test('inter-layer dropout acts only in training, from the given generator', () => {
    const make = () => new nn.LSTM(3, 8, { numLayers: 2, dropout: 0.5, generator: new Generator(1), dropoutGenerator: new Generator(5) });
    const x = randn([4, 2, 3]);
    const a = make(), b = make();
    const evalOut = a.eval().forward(x)[0].toArray();
    a.train();
    const t1 = a.forward(x)[0].toArray();
    assert.notDeepEqual(t1, evalOut);
    assert.deepEqual(b.forward(x)[0].toArray(), t1, 'same dropout generator seed → same masks');
  });

  test('bad inputs', () => {
    const lstm = new nn.LSTM(3, 4, { numLayers: 2 });
    assert.throws(() => lstm.forward(zeros([5, 2, 4])), /LSTM: expected input size 3 in the last dim, got shape \[5, 2, 4\]/);
    assert.throws(() => lstm.forward(zeros([3])), /LSTM: expected a 2-D \(unbatched\) or 3-D input, got shape \[3\]/);
    assert.throws(() => lstm.forward(zeros([5, 2, 3]), [zeros([1, 2, 4]), zeros([1, 2, 4])]),
      /LSTM: expected h0 and c0 of shape \[2, 2, 4\], got \[1, 2, 4\] and \[1, 2, 4\]/);
    assert.throws(() => new nn.LSTM(3, 4, { dropout: 2 }), /LSTM: dropout must be in \[0, 1\], got 2/);
    assert.throws(() => new nn.LSTMCell(3, 4).forward(zeros([2, 2])), /LSTMCell: expected input \(B, 3\) or \(3\), got shape \[2, 2\]/);
    assert.throws(() => nn.lstmRecurrence(zeros([2, 1, 8]), zeros([8, 3]), null, zeros([1, 3]), zeros([1, 3])), /lstmRecurrence: gate sizes disagree/);
    assert.throws(() => nn.lstmRecurrence(zeros([2, 1, 8]), zeros([8, 2]), null, zeros([2, 2]), zeros([1, 2])), /lstmRecurrence: h0 and c0 must be \(1, 2\)/);
  });
});

describe('MultiheadAttention', () => {
  test('gradcheck wrt inputs, additive bias and every parameter (float64), with masks', () => {
    const m = new nn.MultiheadAttention(4, 2, { batchFirst: true, dtype: 'float64', generator: new Generator(2) });
    nn.init.normal_(m.in_proj_bias!, 0, 0.5);
    const q = randd([2, 3, 4], 1), kv = randd([2, 2, 4], 2), bias = randd([3, 2], 3);
    const kpm = tensor([[0, 1], [0, 0]]);
    gradcheck((q2, kv2, b2) => {
      const [out, w] = m.forward(q2, kv2, kv2, { keyPaddingMask: kpm, attnBias: b2 });
      return dt.cat([out.flatten(), w!.flatten()]);
    }, [q, kv, bias, ...m.parameters()], { name: 'MultiheadAttention' });
  });

  test('masked keys get zero weight; needWeights false; unbatched equals a batch of one', () => {
    const m = new nn.MultiheadAttention(6, 3);
    const x = randn([4, 1, 6]);
    const [out, w] = m.forward(x, x, x, { keyPaddingMask: tensor([[0, 0, 1, 1]]), isCausal: true });
    assert.deepEqual(w!.shape, [1, 4, 4]);
    const wa = w!.toArray();
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (j > i || j >= 2) assert.equal(wa[i * 4 + j], 0);
    assertClose(w!.sum(-1), [1, 1, 1, 1], 'rows sum to 1', 1e-6, 1e-6);
    const [out2, none] = m.forward(x, x, x, { keyPaddingMask: tensor([[0, 0, 1, 1]]), isCausal: true, needWeights: false });
    assert.equal(none, null);
    assert.deepEqual(out2.toArray(), out.toArray());
    const [ou, wu] = m.forward(x.squeeze(1), x.squeeze(1), x.squeeze(1), { keyPaddingMask: tensor([0, 0, 1, 1]), isCausal: true });
    assertClose(ou, out.squeeze(1), 'unbatched output', 1e-6, 1e-6);
    assertClose(wu!, w!.squeeze(0), 'unbatched weights', 1e-6, 1e-6);
  });

  test('attention dropout only in training', () => {
    const m = new nn.MultiheadAttention(4, 1, { dropout: 0.5, dropoutGenerator: new Generator(1) });
    const x = randn([5, 2, 4]);
    const e = m.eval().forward(x, x, x)[0].toArray();
    assert.deepEqual(m.forward(x, x, x)[0].toArray(), e);
    assert.notDeepEqual(m.train().forward(x, x, x)[0].toArray(), e);
  });

  test('bad inputs', () => {
    const m = new nn.MultiheadAttention(4, 2);
    const x = zeros([3, 2, 4]);
    assert.throws(() => new nn.MultiheadAttention(6, 4), /MultiheadAttention: embedDim 6 must be divisible by numHeads 4/);
    assert.throws(() => m.forward(zeros([3, 2, 5]), x, x), /MultiheadAttention: expected embedding size 4 in the last dim, got query \[3, 2, 5\]/);
    assert.throws(() => m.forward(x, zeros([3, 4]), x), /must all be 3-D \(or all 2-D unbatched\)/);
    assert.throws(() => m.forward(x, zeros([5, 2, 4]), x), /batch sizes or key\/value lengths disagree/);
    assert.throws(() => m.forward(x, x, x, { keyPaddingMask: zeros([2, 4]) }), /keyPaddingMask must be \[2, 3\], got \[2, 4\]/);
    assert.throws(() => m.forward(x, x, x, { attnMask: zeros([3, 4]) }), /attnMask must be \(3, 3\) or \(4, 3, 3\), got \[3, 4\]/);
  });
});

describe('other layers', () => {
  test('BatchNorm without running stats uses batch statistics in eval too', () => {
    const bn = new nn.BatchNorm2d(2, { trackRunningStats: false });
    assert.deepEqual([...bn.stateDict().keys()], ['weight', 'bias']);
    const x = randn([3, 2, 2, 2]);
    assertClose(bn.eval().forward(x), bn.train().forward(x), 'eval = train', 1e-6, 1e-6);
  });

  test('BatchNorm eval leaves running stats and the batch counter alone', () => {
    const bn = new nn.BatchNorm1d(3);
    bn.forward(randn([4, 3]));
    assert.equal(bn.numBatchesTracked, 1);
    const rm = bn.running_mean!.toArray();
    bn.eval().forward(randn([4, 3]));
    assert.equal(bn.numBatchesTracked, 1);
    assert.deepEqual(bn.running_mean!.toArray(), rm);
  });

  test('Dropout, Flatten, Identity, activations, pooling and upsampling modules', () => {
    const x = randn([2, 3, 4, 4]);
    const d = new nn.Dropout(0.5, new Generator(3));
    const y = d.forward(x);
    assert.ok(y.toArray().every((v, i) => v === 0 || Math.abs(v - 2 * x.data[i]) < 1e-6));
    assert.ok(y.toArray().some((v) => v === 0));
    assert.equal(d.eval().forward(x), x);
    assert.deepEqual(new nn.Flatten().forward(x).shape, [2, 48]);
    assert.equal(new nn.Identity().forward(x), x);
    assertClose(new nn.GELU().forward(x), dt.gelu(x), 'GELU');
    assertClose(new nn.LeakyReLU(0.2).forward(x), dt.leakyRelu(x, 0.2), 'LeakyReLU');
    assertClose(new nn.Softmax(1).forward(x), dt.softmax(x, 1), 'Softmax');
    assertClose(new nn.MaxPool2d(2).forward(x), dt.maxPool2d(x, 2), 'MaxPool2d');
    assertClose(new nn.AvgPool2d(3, { stride: 1, padding: 1 }).forward(x), dt.avgPool2d(x, 3, { stride: 1, padding: 1 }), 'AvgPool2d');
    assert.deepEqual(new nn.Upsample({ scaleFactor: 2 }).forward(x).shape, [2, 3, 8, 8]);
    assert.deepEqual(new nn.AdaptiveAvgPool2d().forward(x).shape, [2, 3, 1, 1]);
    assert.throws(() => new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' as any }), /Upsample: only mode 'nearest' is supported/);
    assert.throws(() => new nn.Dropout(1.5), /Dropout: p must be in \[0, 1\], got 1.5/);
  });

  test('bad inputs', () => {
    assert.throws(() => new nn.BatchNorm2d(3).forward(zeros([2, 3, 4])), /BatchNorm2d: expected 4-D input, got shape \[2, 3, 4\]/);
    assert.throws(() => new nn.BatchNorm1d(3).forward(zeros([2, 4])), /BatchNorm1d: expected 3 channels \(dim 1\), got input of shape \[2, 4\]/);
    assert.throws(() => new nn.GroupNorm(4, 6), /GroupNorm: numChannels 6 must be divisible by numGroups 4/);
    assert.throws(() => new nn.GroupNorm(2, 6).forward(zeros([2, 4, 3])), /GroupNorm: expected input \(N, 6, \*\), got shape \[2, 4, 3\]/);
    assert.throws(() => nn.Embedding.fromPretrained(zeros([3])), /Embedding.fromPretrained: expected a 2-D float tensor, got float32 of shape \[3\]/);
    assert.throws(() => new nn.Embedding(5, 2).forward(zeros([3])), /Embedding: indices must be int32, got float32 of shape \[3\]/);
    assert.throws(() => new nn.Embedding(5, 2, { paddingIdx: 5 }), /Embedding: paddingIdx 5 must be within \[-5, 5\)/);
    assert.throws(() => new nn.Conv2d(2, 3, 3, { groups: 2 }), /Conv2d: outChannels 3 is not divisible by groups = 2/);
    assert.throws(() => new nn.Conv2d(2, 3, [3, 0]), /Conv2d: kernelSize must be positive/);
    assert.throws(() => new nn.Conv2d(2, 3, 3).forward(zeros([1, 4, 5, 5])), /conv2d/);
  });
});
