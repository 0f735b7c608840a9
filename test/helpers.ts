// Test helpers: PyTorch fixture replay, closeness checks, and a float64 finite-difference gradient check.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor, tensor, noGrad, backend, Generator } from '../src/index.ts';
import { shapeStr } from '../src/backend/types.ts';

export interface Encoded { shape: number[]; dtype: 'float32' | 'int32'; data: number[] }
export interface FixtureCase {
  name: string;
  meta: Record<string, any>;
  inputs: (Encoded | null)[];
  outputs: (Encoded | null)[];
  upstream: (Encoded | null)[];
  grads: (Encoded | null)[];
}

/** The backend this test process runs on (npm test runs the suite once per backend). */
export const backendName = backend().name;

export function loadFixtures(family: string): FixtureCase[] {
  const path = fileURLToPath(new URL(`./fixtures/${family}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')).cases;
}

export function decode(e: Encoded, requiresGrad = false): Tensor {
  return tensor(e.dtype === 'int32' ? Int32Array.from(e.data) : Float32Array.from(e.data), { shape: e.shape, requiresGrad });
}

/** |a − e| ≤ atol + rtol·|e| elementwise, with a message naming the worst element. */
export function assertClose(actual: Tensor | null, expected: Encoded | Tensor | number[], what: string, rtol = 1e-4, atol = 1e-5): void {
  assert.ok(actual, `${what}: missing`);
  const exp = expected instanceof Tensor ? { shape: [...expected.shape], data: Array.from(expected.data) } : Array.isArray(expected) ? { shape: [...actual.shape], data: expected } : expected;
  assert.deepEqual([...actual.shape], exp.shape, `${what}: shape ${shapeStr(actual.shape)} != expected ${shapeStr(exp.shape)}`);
  let worst = -1, worstErr = 0;
  for (let i = 0; i < exp.data.length; i++) {
    const a = actual.data[i], e = exp.data[i];
    const err = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (Number.isNaN(a) !== Number.isNaN(e) || err > worstErr) { worst = i; worstErr = Number.isNaN(err) ? Infinity : err; }
  }
  if (worst >= 0) assert.fail(`${what}: element ${worst} is ${actual.data[worst]}, expected ${exp.data[worst]} (rtol ${rtol}, atol ${atol})`);
}

/**
 * Replays one fixture case: run(inputs) must give the recorded outputs, and backward with the recorded upstream
 * gradients must give the recorded input gradients.
 */
export function replay(c: FixtureCase, run: (...inputs: Tensor[]) => Tensor | Tensor[], tol: { rtol?: number; atol?: number } = {}): void {
  const inputs = c.inputs.map((e) => (e ? decode(e, e.dtype === 'float32') : (null as unknown as Tensor)));
  const out = run(...inputs);
  const outs = Array.isArray(out) ? out : [out];
  const rtol = tol.rtol ?? 1e-4, atol = tol.atol ?? 1e-5;
  c.outputs.forEach((e, i) => e && assertClose(outs[i], e, `${c.name}: output ${i}`, rtol, atol));
  let loss: Tensor | null = null;
  c.upstream.forEach((u, i) => {
    if (!u || !outs[i].requiresGrad) return;
    const term = outs[i].mul(decode(u)).sum();
    loss = loss ? loss.add(term) : term;
  });
  if (!loss) return;
  (loss as Tensor).backward();
  c.grads.forEach((g, i) => g && assertClose(inputs[i].grad, g, `${c.name}: gradient of input ${i}`, rtol, atol * 10));
}

/** A float64 tensor of normal values (or uniform in [lo, hi)) from a fixed generator, for gradchecks. */
export function randd(shape: number[], seed: number, range?: [number, number]): Tensor {
  const g = new Generator(seed);
  const d = new Float64Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < d.length; i++) d[i] = range ? g.uniform(range[0], range[1]) : g.normal();
  return tensor(d, { shape, requiresGrad: true });
}

/**
 * Compares autograd's gradient of L = Σ fn(inputs)·u (u a fixed random tensor) with central finite
 * differences (L(x + eps) − L(x − eps)) / 2eps, every input element, all in float64.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: { eps?: number; atol?: number; rtol?: number; name?: string } = {}): void {
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-6, rtol = opts.rtol ?? 1e-4;
  const name = opts.name ?? 'gradcheck';
  for (const x of inputs) if (x.requiresGrad) assert.equal(x.dtype, 'float64', `${name}: gradcheck inputs must be float64`);
  for (const x of inputs) x.grad = null;
  const out = fn(...inputs);
  const g = new Generator(1234);
  const u = new Float64Array(out.size);
  for (let i = 0; i < u.length; i++) u[i] = g.normal();
  const ut = tensor(u, { shape: [...out.shape] });
  out.mul(ut).sum().backward();
  const L = () => noGrad(() => { const o = fn(...inputs); let s = 0; for (let i = 0; i < o.size; i++) s += o.data[i] * u[i]; return s; });
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    const analytic = x.grad ? x.grad.data : new Float64Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i];
      x.data[i] = orig + eps; const lp = L();
      x.data[i] = orig - eps; const lm = L();
      x.data[i] = orig;
      const numeric = (lp - lm) / (2 * eps);
      const a = analytic[i];
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
        assert.fail(`${name}: d/d input${k}[${i}] (shape ${shapeStr(x.shape)}): autograd ${a}, finite difference ${numeric}`);
      }
    }
  });
}
