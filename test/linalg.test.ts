// The symmetric eigensolver and the PSD square root behind FID, against closed forms, constructed spectra and
// the 8×8 Hilbert matrix (condition number 1.5e10), whose eigenvalues come from mpmath at 50 digits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eigh, sqrtmPsd, matmul64, trace } from '../src/linalg.ts';
import { Generator } from '../src/random.ts';

function transpose(a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  return t;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** V diag(λ) Vᵀ. */
function compose(values: ArrayLike<number>, V: Float64Array, n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += V[i * n + k] * values[k] * V[j * n + k];
    a[i * n + j] = s;
  }
  return a;
}

/** A random orthogonal matrix: the product of three Householder reflections I − 2vvᵀ/|v|². */
function randomOrthogonal(n: number, g: Generator): Float64Array {
  let Q: Float64Array = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  for (let r = 0; r < 3; r++) {
    const v = Array.from({ length: n }, () => g.normal());
    const vv = v.reduce((s, x) => s + x * x, 0);
    const H = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H[i * n + j] = (i === j ? 1 : 0) - (2 * v[i] * v[j]) / vv;
    Q = matmul64(Q, H, n);
  }
  return Q;
}

function randomSymmetric(n: number, seed: number): Float64Array {
  const g = new Generator(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = g.normal();
  return a;
}

function checkDecomposition(a: Float64Array, n: number, what: string, tol = 1e-12): void {
  const { values, vectors: V } = eigh(a, n);
  for (let k = 1; k < n; k++) assert.ok(values[k - 1] <= values[k], `${what}: eigenvalues not ascending at ${k}`);
  const scale = Math.max(maxAbs(a), 1e-300);
  assert.ok(maxDiff(compose(values, V, n), a) <= tol * scale * n, `${what}: V diag(λ) Vᵀ differs from A by ${maxDiff(compose(values, V, n), a)}`);
  const I = matmul64(transpose(V, n), V, n);
  for (let i = 0; i < n; i++) I[i * n + i] -= 1;
  assert.ok(maxAbs(I) <= 1e-13 * n, `${what}: VᵀV − I reaches ${maxAbs(I)}`);
}

test('eigh: 1×1, diagonal, and 2×2 against the closed form', () => {
  const one = eigh([-3], 1);
  assert.deepEqual([...one.values], [-3]);
  assert.deepEqual([...one.vectors], [1]);
  const d = eigh([3, 0, 0, 0, -1, 0, 0, 0, 2], 3);
  assert.deepEqual([...d.values], [-1, 2, 3]);
  assert.deepEqual([...d.vectors].map(Math.abs), [0, 0, 1, 1, 0, 0, 0, 1, 0]);
  // [[a, b], [b, c]]: λ = (a + c)/2 ∓ √(((a − c)/2)² + b²)
  for (const [a, b, c] of [[2, 1, 2], [1, 1e-9, 1 + 1e-12], [5, -3, -7], [0, 1, 0]]) {
    const { values } = eigh([a, b, b, c], 2);
    const m = (a + c) / 2, r = Math.hypot((a - c) / 2, b);
    assert.ok(Math.abs(values[0] - (m - r)) <= 1e-15 * Math.max(1, Math.abs(m) + r), `[${a}, ${b}, ${c}]: λ₀ ${values[0]} vs ${m - r}`);
    assert.ok(Math.abs(values[1] - (m + r)) <= 1e-15 * Math.max(1, Math.abs(m) + r), `[${a}, ${b}, ${c}]: λ₁ ${values[1]} vs ${m + r}`);
  }
});

test('eigh: random symmetric matrices (5, 84) decompose as V diag(λ) Vᵀ with orthonormal V; Tr A = Σλ', () => {
  for (const n of [5, 84]) {
    const a = randomSymmetric(n, n);
    checkDecomposition(a, n, `random ${n}×${n}`);
    const { values } = eigh(a, n);
    assert.ok(Math.abs(values.reduce((s, x) => s + x, 0) - trace(a, n)) < 1e-11 * n);
  }
});

test('eigh: a constructed spectrum from 1 down to 1e-12, with a repeated eigenvalue and an exact zero', () => {
  const n = 12;
  const lambda = [1, 0.5, 0.5, 0.5, 1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 0, -0.25];
  const Q = randomOrthogonal(n, new Generator(7));
  const a = compose(lambda, Q, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i]; // exactly symmetric
  checkDecomposition(a, n, 'constructed');
  const { values } = eigh(a, n);
  const sorted = [...lambda].sort((x, y) => x - y);
  // building A in float64 perturbs it by ~n·ε·|A|; the eigenvalues move by no more than that (Weyl)
  for (let k = 0; k < n; k++) assert.ok(Math.abs(values[k] - sorted[k]) < 1e-14, `λ${k}: ${values[k]} vs ${sorted[k]}`);
});

test('eigh: the ill-conditioned 8×8 Hilbert matrix, every eigenvalue to 1e-6 relative (mpmath, 50 digits)', () => {
  const n = 8;
  const h = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] = 1 / (i + j + 1);
  const exact = [1.1115389663724424271e-10, 1.7988737458175766773e-8, 1.2943320918728114803e-6, 0.000054369433697499423624,
    0.0014676881177418673116, 0.026212843578119047797, 0.29812521131693070618, 1.6959389969219494521];
  const { values } = eigh(h, n);
  // the float64 entries 1/(i+j+1) are rounded, which moves λ_min by ~1e-7 relative; Jacobi adds less than that
  values.forEach((v, k) => assert.ok(Math.abs(v - exact[k]) <= 1e-6 * exact[k], `λ${k}: ${v} vs ${exact[k]} (rel ${Math.abs(v - exact[k]) / exact[k]})`));
  checkDecomposition(h, n, 'Hilbert');
});

test('sqrtmPsd: R is symmetric with R R = A; rounding noise below 0 is clipped', () => {
  const n = 10;
  const Q = randomOrthogonal(n, new Generator(3));
  const lambda = [4, 2, 1, 0.5, 0.25, 1e-3, 1e-6, 0, 0, -1e-17];
  const a = compose(lambda, Q, n);
  const r = sqrtmPsd(a, n);
  assert.ok(maxDiff(r, transpose(r, n)) === 0, 'R is exactly symmetric');
  assert.ok(maxDiff(matmul64(r, r, n), a) < 1e-13, `R R − A reaches ${maxDiff(matmul64(r, r, n), a)}`);
  // Tr R = Σ √λ over the non-negative λ
  assert.ok(Math.abs(trace(r, n) - lambda.reduce((s, l) => s + Math.sqrt(Math.max(l, 0)), 0)) < 1e-7);
});

test('eigh: bad input gives one clear error', () => {
  assert.throws(() => eigh([1, 2, 3], 2), /eigh: expected an 2×2 matrix \(4 values\), got 3 values/);
  assert.throws(() => eigh([1, NaN, NaN, 1], 2), /eigh: element \(0, 1\) is NaN, not finite/);
  assert.throws(() => eigh([], 0), /eigh: n must be a positive integer/);
});
